//! `healthprobe tcp HOST:PORT`.

mod common;

use std::net::TcpListener;

use common::*;

#[test]
fn an_open_port_is_healthy() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    probe(&["tcp", &format!("127.0.0.1:{port}")])
        .healthy()
        .one_line()
        .says(&format!("connected to 127.0.0.1:{port}"));
    probe(&[&format!("tcp://localhost:{port}")]).healthy();
}

#[test]
fn a_closed_port_is_unhealthy_and_names_the_addresses() {
    let port = closed_port();
    probe(&["tcp", &format!("localhost:{port}")])
        .unhealthy()
        .one_line()
        .says(&format!("tcp localhost:{port} -> "))
        .says(&format!("127.0.0.1:{port}"))
        .says("connection refused");
}

#[test]
#[ignore = "needs IPv6 loopback (::1), which containers often lack; CI runs it"]
fn an_ipv6_only_listener_is_found_through_localhost() {
    require(has_ipv6(), "IPv6 loopback (::1)");
    let l = TcpListener::bind("[::1]:0").unwrap();
    let port = l.local_addr().unwrap().port();
    probe(&["tcp", &format!("localhost:{port}")])
        .healthy()
        .says(&format!("connected to [::1]:{port}"));
}
