//! What a person reads on the terminal: the run summary, the claim
//! ledger, a baseline comparison, the gate's verdict. Every one is drawn
//! with the one `Paint`: ANSI colour, or plain text.

pub mod claims;
pub mod drift;
pub mod readiness;
pub mod summary;

/// How the summary is drawn.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    pub color: bool,
    /// List every scenario, not only those needing attention.
    pub list_all: bool,
}

/// ANSI colour, or plain text when `false`.
pub(crate) struct Paint(pub(crate) bool);

impl Paint {
    pub(crate) fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    pub(crate) fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    pub(crate) fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    pub(crate) fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub(crate) fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub(crate) fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
}
