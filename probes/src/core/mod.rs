//! The pure core: values in, values out. No tokio, no sockets, no printing,
//! no cucumber.

pub mod duration;
