//! A loopback TCP proxy in front of the gateway that can cut the connection part-way
//! through what the client sends: the network's view of a client that stops sending in
//! the middle of a chunk (laptop lid closed, cable pulled, process gone).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};

use crate::harness::{Actor, Clients, TestServer};

/// Forwards every connection to the gateway; see [`Proxy::cut_after`].
pub struct Proxy {
    addr: SocketAddr,
    /// Client-to-gateway bytes still allowed through; negative means no limit.
    budget: Arc<AtomicI64>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let budget = Arc::new(AtomicI64::new(-1));
        let shared = budget.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let gateway = TcpStream::connect(target).await.expect("reach the gateway");
                tokio::spawn(pipe(client, gateway, shared.clone()));
            }
        });
        Proxy {
            addr,
            budget,
            accept,
        }
    }

    /// From now on, lets only `bytes` more bytes from clients through, then closes
    /// both sides of the connection that reached the limit.
    pub fn cut_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    /// Clients for `actor` whose every call goes through the proxy (over TLS to the
    /// gateway, which the proxy cannot read).
    pub async fn clients(&self, server: &TestServer, actor: &Actor) -> Clients {
        let ca = std::fs::read(server.ca_path()).expect("read the CA");
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(ca))
            .domain_name("127.0.0.1");
        let channel = Endpoint::from_shared(format!("https://{}", self.addr))
            .expect("endpoint")
            .tls_config(tls)
            .expect("tls")
            .connect()
            .await
            .expect("connect through the proxy");
        Clients::new(channel, Some(&actor.token))
    }
}

async fn pipe(client: TcpStream, gateway: TcpStream, budget: Arc<AtomicI64>) {
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_gateway, mut to_gateway) = gateway.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_gateway, &mut to_client).await;
    });
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from_client.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let allowed = budget.load(Ordering::SeqCst);
        let pass = if allowed < 0 {
            n
        } else {
            n.min(allowed as usize)
        };
        if to_gateway.write_all(&buffer[..pass]).await.is_err() {
            break;
        }
        if allowed >= 0 {
            budget.fetch_sub(pass as i64, Ordering::SeqCst);
            if pass < n || allowed as usize == pass {
                break;
            }
        }
    }
    // Dropping every half closes both sockets: the gateway sees its peer vanish with a
    // message half received.
    back.abort();
}
