//! Integration tests: the built binary against a sandbox started in the test
//! on 127.0.0.1:0. One test binary, so the suite builds once; one file per
//! concern, helpers in `support/`.

mod support;

mod adapt;
mod alerts;
mod baseline;
mod canary;
mod canon;
mod cli;
mod dashboard;
mod deploy;
mod faults;
mod flaky;
mod gate;
mod grafana_prometheus;
mod inert;
mod layout;
mod load;
mod operators;
mod replicas;
mod reports;
mod safety;
mod serve;
mod shards;
mod traces;
mod workflows;
