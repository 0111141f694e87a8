//! Engine's payment truth: a ledger kept in a file, so a restart really
//! drops memory and reloads (the Canon: "Harper Quinn #29110012 payment
//! truth survived Render Engine restart").

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub payment_intent: String,
    pub reservation_id: u64,
    pub guest_name: String,
    pub amount_cents: u64,
    pub currency: String,
    pub status: String,
    pub created: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEvent {
    pub event_id: String,
    pub event_type: String,
    pub payment_intent: String,
    pub reservation_id: u64,
    pub created: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerData {
    /// `stripe_financial_records`
    pub records: Vec<Record>,
    /// `stripe_financial_events`
    pub events: Vec<LedgerEvent>,
}

/// The seed's reservation: Harper Quinn, #29110012.
pub fn seed() -> LedgerData {
    LedgerData {
        records: vec![Record {
            payment_intent: "pi_3QHarperQuinn29110012".into(),
            reservation_id: 29_110_012,
            guest_name: "Harper Quinn".into(),
            amount_cents: 64_200,
            currency: "usd".into(),
            status: "succeeded".into(),
            created: 1_764_000_000,
        }],
        events: vec![LedgerEvent {
            event_id: "evt_1QHarperQuinn29110012".into(),
            event_type: "payment_intent.succeeded".into(),
            payment_intent: "pi_3QHarperQuinn29110012".into(),
            reservation_id: 29_110_012,
            created: 1_764_000_000,
        }],
    }
}

/// The durable file and Engine's in-memory copy of it.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    memory: Mutex<LedgerData>,
    /// Removed when the ledger is dropped (a temp file the sandbox made).
    owned: bool,
}

impl Ledger {
    /// Opens `path`, creating it with the seed when missing.
    pub fn open(path: Option<&Path>) -> std::io::Result<Self> {
        let (path, owned) = match path {
            Some(p) => (p.to_owned(), false),
            None => (
                std::env::temp_dir().join(format!(
                    "lucia-sandbox-ledger-{}.json",
                    uuid::Uuid::new_v4().simple()
                )),
                true,
            ),
        };
        let ledger = Self {
            path,
            memory: Mutex::new(LedgerData::default()),
            owned,
        };
        if !ledger.path.exists() {
            ledger.persist(&seed())?;
        }
        ledger.reload()?;
        Ok(ledger)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LedgerData> {
        self.memory
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the durable file into memory (what a restarted Engine does).
    pub fn reload(&self) -> std::io::Result<()> {
        let text = std::fs::read_to_string(&self.path)?;
        let data: LedgerData = serde_json::from_str(&text).map_err(std::io::Error::other)?;
        *self.lock() = data;
        Ok(())
    }

    /// Drops memory (a restart before the reload).
    pub fn forget(&self) {
        *self.lock() = LedgerData::default();
    }

    fn persist(&self, data: &LedgerData) -> std::io::Result<()> {
        let tmp = self.path.with_extension("tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec_pretty(data).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, &self.path)
    }

    /// Records a succeeded payment in memory and durably (dual mode).
    /// Idempotent by event id, as Stripe retries deliveries.
    pub fn record(&self, record: Record, event: LedgerEvent) -> std::io::Result<bool> {
        let mut data = self.lock();
        if data.events.iter().any(|e| e.event_id == event.event_id) {
            return Ok(false);
        }
        if !data
            .records
            .iter()
            .any(|r| r.payment_intent == record.payment_intent)
        {
            data.records.push(record);
        }
        data.events.push(event);
        let snapshot = data.clone();
        drop(data);
        self.persist(&snapshot)?;
        Ok(true)
    }

    pub fn snapshot(&self) -> LedgerData {
        self.lock().clone()
    }

    /// Engine's payment truth for one reservation, as JSON.
    pub fn truth(&self, reservation_id: u64) -> Option<Value> {
        let data = self.lock();
        let records: Vec<&Record> = data
            .records
            .iter()
            .filter(|r| r.reservation_id == reservation_id)
            .collect();
        let first = records.first()?;
        let paid: u64 = records
            .iter()
            .filter(|r| r.status == "succeeded")
            .map(|r| r.amount_cents)
            .sum();
        let events = data
            .events
            .iter()
            .filter(|e| e.reservation_id == reservation_id)
            .count();
        Some(json!({
            "reservation_id": reservation_id,
            "guest_name": first.guest_name,
            "currency": first.currency,
            "amount_paid_cents": paid,
            "status": if paid > 0 { "paid" } else { "unpaid" },
            "records": records.iter().map(|r| json!({
                "payment_intent": r.payment_intent,
                "amount_cents": r.amount_cents,
                "currency": r.currency,
                "status": r.status,
                "created": r.created,
            })).collect::<Vec<_>>(),
            "events": events,
            "source": "durable",
        }))
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_forget_and_reload() {
        let l = Ledger::open(None).expect("ledger");
        let before = l.truth(29_110_012).expect("seeded");
        l.forget();
        assert!(l.truth(29_110_012).is_none());
        l.reload().expect("reload");
        assert_eq!(l.truth(29_110_012), Some(before));
        let path = l.path().to_owned();
        drop(l);
        assert!(!path.exists(), "temp ledger removed");
    }
}
