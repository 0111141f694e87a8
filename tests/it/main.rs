//! Integration tests: the built binary against a sandbox started in the test
//! on 127.0.0.1:0. One test binary (STYLE.md 12).

mod support;

mod baseline;
mod canary;
mod canon;
mod cli;
mod fault_matrix;
mod faults;
mod flaky;
mod gate;
mod load;
mod reports;
mod safety;
mod secrets;
mod serving;
mod workflows;

mod alerts;
mod dashboards;
mod serve;
