//! Running a demo server on its own thread, the same way for every framework.
//!
//! Each framework module has a `start(config)` that calls [`spawn`] with the
//! code that builds its runtime, opens the [`Demo`](crate::demo::Demo), binds the
//! listener and serves until told to stop. The binaries and the conformance
//! suite both use it, so a test exercises exactly what `cargo run` runs.
//!
//! ```no_run
//! use examples::config::DemoConfig;
//!
//! let mut config = DemoConfig::from_env().unwrap();
//! config.addr = "127.0.0.1:0".parse().unwrap();
//! let server = examples::axum_app::start(config).unwrap();
//! println!("listening on {}", server.url());
//! server.stop();
//! ```

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::config::ConfigError;

/// Why a demo server did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is missing or invalid.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The runtime or the listener could not be set up.
    #[error("cannot start the server: {0}")]
    Io(#[from] std::io::Error),
    /// The server thread ended before it was ready.
    #[error("the server thread stopped during start-up")]
    Died,
}

/// A demo server running on its own thread. Dropping it stops the server.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the server gracefully and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Blocks until the server thread ends (it ends when the server stops).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The server thread's side: report readiness, then wait for the stop signal.
pub struct ServerControl {
    ready: mpsc::Sender<Result<SocketAddr, StartError>>,
    stop: oneshot::Receiver<()>,
}

impl ServerControl {
    /// Reports the bound address; returns the future that resolves at shutdown.
    pub fn ready(self, addr: SocketAddr) -> impl Future<Output = ()> + Send + 'static {
        let _ = self.ready.send(Ok(addr));
        let stop = self.stop;
        async move {
            let _ = stop.await;
        }
    }

    /// Reports that start-up failed.
    pub fn fail(self, error: StartError) {
        let _ = self.ready.send(Err(error));
    }
}

/// Runs `serve` on a new thread and waits until it reports ready or failed.
pub fn spawn<F>(name: &str, serve: F) -> Result<RunningServer, StartError>
where
    F: FnOnce(ServerControl) + Send + 'static,
{
    let (ready_tx, ready_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = oneshot::channel();
    let control = ServerControl {
        ready: ready_tx,
        stop: stop_rx,
    };
    let thread = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || serve(control))?;
    match ready_rx.recv() {
        Ok(Ok(addr)) => Ok(RunningServer {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }),
        Ok(Err(error)) => {
            let _ = thread.join();
            Err(error)
        }
        Err(_) => {
            let _ = thread.join();
            Err(StartError::Died)
        }
    }
}

/// Runs a tokio-based demo server (axum, warp) on its own thread: a two-worker
/// runtime, the [`Demo`](crate::demo::Demo) opened from `config`, a listener on
/// `config.addr`; then `serve(demo, listener, shutdown)` until `shutdown` resolves.
pub fn spawn_tokio<F, Fut>(
    name: &str,
    config: crate::config::DemoConfig,
    serve: F,
) -> Result<RunningServer, StartError>
where
    F: FnOnce(crate::demo::Demo, tokio::net::TcpListener, Shutdown) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    spawn(name, move |control| {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => return control.fail(error.into()),
        };
        runtime.block_on(async move {
            let demo = match crate::demo::Demo::open(&config).await {
                Ok(demo) => demo,
                Err(error) => return control.fail(error.into()),
            };
            let listener = match tokio::net::TcpListener::bind(config.addr).await {
                Ok(listener) => listener,
                Err(error) => return control.fail(error.into()),
            };
            let addr = match listener.local_addr() {
                Ok(addr) => addr,
                Err(error) => return control.fail(error.into()),
            };
            let shutdown = Box::pin(control.ready(addr));
            serve(demo, listener, shutdown).await;
        });
    })
}

/// Resolves when the server should stop.
pub type Shutdown = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The body of each demo binary: read the configuration, start, print where,
/// run until Ctrl-C. A bad setting prints one line naming it and exits with 2.
/// `<binary> user ...` runs the [`user` subcommand](crate::cli) instead: one
/// line on standard output and exit 0, or one line on standard error and exit 1.
pub fn run_main(start: fn(crate::config::DemoConfig) -> Result<RunningServer, StartError>) {
    crate::init_tracing();
    let config = match crate::config::DemoConfig::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("invalid configuration: {error}");
            std::process::exit(2);
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("user") {
        match crate::cli::user_command(&args[1..], &config) {
            Ok(line) => println!("{line}"),
            Err(line) => {
                eprintln!("{line}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Some(unknown) = args.first() {
        eprintln!("unknown subcommand {unknown:?}; the only one is `user`");
        std::process::exit(1);
    }
    let database = crate::config::without_userinfo(&config.database_url);
    let server = match start(config) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    println!("listening on {}", server.url());
    println!("database {database}");
    server.wait();
}
