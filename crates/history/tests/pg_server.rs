//! A throwaway PostgreSQL server for one test: initdb into a temporary directory, listen on
//! a free TCP port on 127.0.0.1, stop and remove everything on `Drop`.
//!
//! The binaries come from `DOWNSTREAM_TEST_PG_BIN` or `/usr/lib/postgresql/15/bin`; when
//! `initdb` is not there, [`PgServer::start`] prints SKIPPED and returns `None`. As root the
//! server runs as the `postgres` user, since initdb refuses root.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};

pub struct PgServer {
    bin: PathBuf,
    dir: tempfile::TempDir,
    as_postgres: bool,
    pub port: u16,
}

impl PgServer {
    pub fn start(test: &str) -> Option<PgServer> {
        let bin = std::env::var_os("DOWNSTREAM_TEST_PG_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"));
        if !bin.join("initdb").exists() {
            eprintln!("SKIPPED {test}: no initdb in {}", bin.display());
            return None;
        }
        let dir = tempfile::Builder::new().prefix("pgtest").tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            check(
                Command::new("chown")
                    .arg("postgres:postgres")
                    .arg(dir.path())
                    .output(),
            );
        }
        let port = free_port();
        let server = PgServer {
            bin,
            dir,
            as_postgres,
            port,
        };
        server.run(
            "initdb",
            &[
                "-D",
                &server.data(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        );
        let options = format!(
            "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off",
            server.dir.path().display()
        );
        let log = server.dir.path().join("log");
        server.run(
            "pg_ctl",
            &[
                "-D",
                &server.data(),
                "-l",
                &log.display().to_string(),
                "-w",
                "-o",
                &options,
                "start",
            ],
        );
        Some(server)
    }

    /// A URL for `user` on database `postgres`.
    pub fn url(&self, user: &str) -> String {
        format!("postgres://{user}@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.args(args);
        command
    }

    fn run(&self, program: &str, args: &[&str]) {
        check(self.command(program, args).output());
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // No assertion here: a panic while a failed test unwinds would abort the run.
        let data = self.data();
        let _ = self
            .command("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
    }
}

fn check(output: std::io::Result<Output>) {
    let output = output.unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A port nobody listens on now; the server takes it a moment later.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
