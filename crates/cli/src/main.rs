//! The `downstream` binary: wires configuration, sources, the store and the server together.

// History syncs allocate rows on the reader thread and free them on the aggregator's; glibc's
// allocator spent a quarter of a 1M-row import there (perf), mimalloc handles it far better.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod auth_config;
mod check;
mod config;
mod credentials;
mod demo;
mod demo_hex;
mod export;
mod exposures;
mod health;
mod hex_config;
mod history;
mod history_config;
mod impact;
mod impact_print;
mod lineage;
mod misconfigured;
mod report;
mod serve;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use config::Config;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use store::Store;

/// downstream joins your dbt project with the warehouse and the BI work built on it.
#[derive(Parser)]
#[command(
    name = "downstream",
    version,
    after_help = "Examples:
  downstream demo                     load the bundled example project and open the UI
  downstream default-config > downstream.toml
  downstream check                    validate the config and every credential
  downstream sync                     load dbt metadata, warehouse catalogs, query history and Hex
  downstream history import --connection wh --kind snowflake history.jsonl
  downstream lineage sql --dialect snowflake query.sql
  downstream impact --manifest target/manifest.json --format markdown > impact.md
  downstream serve                    serve the UI and API, refreshing as dbt writes artifacts

Exit codes: 0 success; 1 a sync failed (the last good data is kept), or impact found something
that breaks; 2 bad usage or config."
)]
struct Cli {
    /// Configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "DOWNSTREAM_CONFIG",
        default_value = "downstream.toml"
    )]
    config: PathBuf,
    /// Store location, overriding the config: a SQLite path or postgres:// URL.
    #[arg(long, global = true, env = "DOWNSTREAM_STORE")]
    store: Option<String>,
    /// Print only warnings and errors.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Log more: -v debug, -vv trace (DOWNSTREAM_LOG, e.g. "debug,sqlx=info", wins).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Log lines as text, or one JSON object per line for log shippers.
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Logs go to stderr: coloured only on a terminal without NO_COLOR; the libraries' own
/// chatter (sqlx statement timings, HTTP internals) only when asked for.
fn init_logging(cli: &Cli) {
    use std::io::IsTerminal;
    let ours = match (cli.quiet, cli.verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let libraries = if cli.verbose >= 2 { "debug" } else { "error" };
    let default = format!("{ours},sqlx={libraries},hyper={libraries},reqwest={libraries},h2={libraries},rustls={libraries}");
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOWNSTREAM_LOG")
        .unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).init();
        }
    }
    report::set_quiet(cli.quiet);
}

#[derive(Subcommand)]
enum Command {
    /// Load the bundled example dbt project into a fresh SQLite store and serve the UI.
    #[command(after_help = "Example:\n  cargo run --release -- demo --port 8400")]
    Demo {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8400)]
        port: u16,
        /// Address to bind.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Directory for the demo's SQLite file and artifacts.
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Load only; do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Load each configured connection's dbt metadata, warehouse catalog and query history, and
    /// each Hex workspace.
    #[command(
        after_help = "Examples:\n  downstream sync\n  downstream sync --connection analytics"
    )]
    Sync {
        /// Only these connections (repeatable).
        #[arg(long = "connection")]
        connections: Vec<String>,
        /// `text`, or `json`: the same reports as one JSON document.
        #[arg(long, value_enum, default_value_t)]
        format: report::Format,
    },
    /// Serve the UI and JSON API, refreshing dbt artifacts, catalogs and history on schedule.
    #[command(after_help = "Example:\n  downstream serve --bind 127.0.0.1:8400")]
    Serve {
        /// Address to bind, overriding [server].bind.
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Skip the sync at start-up.
        #[arg(long)]
        no_sync: bool,
    },
    /// Validate the config and try every source's credentials; one row per source.
    #[command(
        after_help = "Example:\n  downstream check --config /etc/downstream/downstream.toml

Exit codes: 0 every source answered; 1 some source failed (its row says why); 2 the config is
invalid."
    )]
    Check {
        /// `text`, or `json`: the resolved config and every source's verdict as one document.
        #[arg(long, value_enum, default_value_t)]
        format: report::Format,
    },
    /// Export the lineage graph (JSON) or the Hex jobs (OpenLineage events, JSON Lines).
    #[command(after_help = "Examples:
  downstream export graph --out lineage.json
  downstream export openlineage --out hex-events.jsonl   # POST each line to /api/v1/lineage")]
    Export(export::ExportArgs),
    /// Write dbt exposures YAML, one per Hex project that reads dbt nodes; hand-written
    /// exposures are kept.
    #[command(after_help = "Examples:
  downstream exposures --project-dir ../jaffle_analytics     # writes models/exposures/hex_exposures.yml
  downstream exposures > hex_exposures.yml

Generated entries carry config.meta.downstream_generated: true and are the only ones replaced.
Exposures written by hand elsewhere in models/ keep their names, and Hex projects they already
describe (same URL) are left to them.")]
    Exposures(exposures::ExposuresArgs),
    /// What a change to the dbt project breaks downstream: dbt nodes, Hex projects and cells,
    /// down to columns.
    #[command(after_help = "Examples:
  dbt compile && downstream impact --manifest target/manifest.json
  downstream impact --manifest target/manifest.json --catalog target/catalog.json --format json
  downstream impact --models stg_payments,fct_payments
  downstream impact --columns customer_ltv.net_ltv --format markdown > impact.md
  downstream impact --git-diff origin/main --project-dir analytics/

--manifest compares a new manifest with the synced project of --connection: removed nodes,
modified ones (checksum), and per model its dropped, added and renamed columns (new columns from
--catalog, else from its compiled SQL, else from its docs; a rename is a dropped and an added
column computed from the same inputs). --git-diff maps changed files to nodes and uses
target/manifest.json for column detail when it is newer than them. A Hex cell that uses a
dropped or renamed column, directly or through models computing from it, breaks; so does
anything reading a removed node. Everything else downstream is affected.

Exit codes: 0 nothing breaks; 1 something breaks; 2 bad usage, unknown names, unreadable
artifacts or store.")]
    Impact(impact::ImpactArgs),
    /// Which Hex projects and cells read failing or late data right now: failing and
    /// warning tests, failed builds and late sources anywhere upstream, each with its path.
    #[command(after_help = "Examples:
  downstream health
  downstream health --format markdown > health.md
  downstream health --project 6f1c2a8e-3b7d-4e59-9a41-0c2d7e8f9a10 --format json

Exit codes: 0 no live Hex project reads failing data (warnings allowed); 1 one does; 2 bad
usage or an unreadable store.")]
    Health(health::HealthArgs),
    /// Print an annotated example configuration.
    DefaultConfig,
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  downstream completions bash > ~/.local/share/bash-completion/completions/downstream
  downstream completions zsh > ~/.zfunc/_downstream
  downstream completions fish > ~/.config/fish/completions/downstream.fish")]
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `downstream man > downstream.1`.
    Man,
    /// Lineage tools.
    #[command(subcommand)]
    Lineage(LineageCommand),
    /// Warehouse query history: which Hex projects and cells read which tables.
    #[command(subcommand)]
    History(HistoryCommand),
}

#[derive(Subcommand)]
enum HistoryCommand {
    /// Import exported query history (JSON Lines or CSV); importing twice adds nothing twice.
    #[command(after_help = "Example:
  downstream history import --connection warehouse --kind snowflake history.jsonl

Exit codes: 0 imported; 1 the import failed (nothing was written); 2 bad usage.")]
    Import(history::ImportArgs),
    /// Sync the query-history sources configured under [[connections.history]].
    #[command(after_help = "Example:\n  downstream history sync --connection warehouse")]
    Sync {
        /// Only these connections (repeatable).
        #[arg(long = "connection")]
        connections: Vec<String>,
        /// `text`, or `json`: the same reports as one JSON document.
        #[arg(long, value_enum, default_value_t)]
        format: report::Format,
    },
}

#[derive(Subcommand)]
enum LineageCommand {
    /// Print the tables and columns each SQL statement reads and writes.
    #[command(after_help = "Examples:
  downstream lineage sql --dialect snowflake --default-database ANALYTICS query.sql
  echo 'select * from marts.orders' | downstream lineage sql --dialect postgres --format json
  downstream lineage sql --dialect bigquery --jsonl history.jsonl > lineage.jsonl

Exit codes: 0 every statement was read; 1 some statement could not be parsed (its error says
where and why); 2 bad usage. In --jsonl mode errors are reported per line and the exit code is 0.")]
    Sql(lineage::SqlArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check { format } => {
            let config = Config::load(&cli.config, true)?;
            Ok(check::run(&config, format).await)
        }
        Command::Export(args) => {
            let config = Config::load(&cli.config, false)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            export::run(&store, args, config.window_days).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Exposures(args) => {
            let config = Config::load(&cli.config, false)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            exposures::run(&store, args, config.window_days).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::DefaultConfig => {
            print!("{}", config::EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "downstream", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout())
                .context("writing the manual page")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            port,
            host,
            dir,
            no_serve,
        } => {
            run_demo(
                dir.unwrap_or_else(demo::default_dir),
                SocketAddr::new(host, port),
                no_serve,
            )
            .await
        }
        Command::Sync {
            connections,
            format,
        } => {
            let config = Config::load(&cli.config, true)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            let sources = config.sources().of(&connections);
            if sources.dbt.is_empty() {
                anyhow::bail!(
                    "no connections to sync: add [[connections]] to {}",
                    cli.config.display()
                );
            }
            let printer = report::Printer::new(format);
            let reports = sources.run(&store, &printer).await;
            Ok(printer.finish(&reports))
        }
        Command::History(HistoryCommand::Sync {
            connections,
            format,
        }) => {
            let config = Config::load(&cli.config, true)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            ensure_connections(&store, &config).await?;
            let sources = sync::Sources {
                history: config.sources().of(&connections).history,
                ..sync::Sources::default()
            };
            if sources.history.is_empty() {
                anyhow::bail!(
                    "no history sources to sync: add [[connections.history]] to {}",
                    cli.config.display()
                );
            }
            let printer = report::Printer::new(format);
            let reports = sources.run(&store, &printer).await;
            Ok(printer.finish(&reports))
        }
        Command::History(HistoryCommand::Import(args)) => {
            let config = Config::load(&cli.config, false)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            history::import(&store, args).await
        }
        Command::Health(args) => {
            let config = Config::load(&cli.config, false)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            health::run(&store, args, config.window_days).await
        }
        Command::Impact(args) => {
            let config = Config::load(&cli.config, false)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            impact::run(&store, args, config.window_days).await
        }
        // Pure computation on its own threads: no config or store needed.
        Command::Lineage(LineageCommand::Sql(args)) => lineage::run(args),
        Command::Serve { bind, no_sync } => {
            let config = Config::load(&cli.config, true)?;
            let store = open_store(cli.store.as_deref().unwrap_or(&config.store)).await?;
            let bind = bind.unwrap_or(config.bind);
            serve::run(config, store, bind, no_sync)
                .await
                .map(|_| ExitCode::SUCCESS)
        }
    }
}

async fn open_store(location: &str) -> Result<Store> {
    Store::open(location).await.context("opening the store")
}

async fn run_demo(dir: PathBuf, addr: SocketAddr, no_serve: bool) -> Result<ExitCode> {
    let target = demo::prepare(&dir)?;
    let db = dir.join("demo.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let store = open_store(&db.display().to_string()).await?;
    let sources = sync::Sources {
        dbt: vec![target.clone()],
        history: vec![demo::prepare_history(&dir)?],
        hex: vec![demo_hex::workspace(&target.connection.name, "analytics").await?],
        ..sync::Sources::default()
    };
    let printer = report::Printer::default();
    let code = printer.finish(&sources.run(&store, &printer).await);
    println!("demo store: {}", db.display());
    if no_serve || code != ExitCode::SUCCESS {
        return Ok(code);
    }
    serve(server::AppState::new(store), addr)
        .await
        .map(|_| ExitCode::SUCCESS)
}

/// History needs its connection in the store even before any dbt sync.
async fn ensure_connections(store: &Store, config: &Config) -> Result<()> {
    for target in &config.targets {
        sync::register_connection(store, target).await?;
    }
    Ok(())
}

pub(crate) async fn serve(state: server::AppState, addr: SocketAddr) -> Result<()> {
    if !addr.ip().is_loopback() && state.auth.is_none() {
        anyhow::bail!("binding {addr} makes the UI and API reachable from other machines: configure [auth] (users, API tokens or a trusted proxy header) first, or bind 127.0.0.1");
    }
    server::serve(state, addr, |url| {
        println!("downstream is serving {url} (Ctrl-C to stop)");
    })
    .await
    .with_context(|| format!("cannot serve on {addr}"))
}
