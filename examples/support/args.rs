//! The command line shared by the server examples:
//! `[ADDR] [--threads N | --current-thread] [--events-per-tick N] [--header-timeout SECS]
//! [--idle-timeout SECS]`, ADDR defaulting to 127.0.0.1:8080, the runtime to 2 worker threads,
//! the I/O events a reactor turn takes to the runtime's own default
//! (`Builder::max_io_events_per_tick` in tourbillon and tokio both), and the timeouts of the
//! shared connection loop (`connection.rs`) to 10 s and 60 s. Servers with no choice of runtime
//! (the thread-per-connection and raw-mio twins) accept the flags and say they ignore them, so
//! one command line drives every server in `scripts/wrk-compare.sh`.

use std::time::Duration;

/// The address every server listens on when none is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Worker threads of a multi-thread runtime when `--threads` is not given.
pub const DEFAULT_WORKERS: usize = 2;

/// `--header-timeout` when not given: the time a request head may take to arrive.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// `--idle-timeout` when not given: the time a kept-alive connection may stay silent.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

const USAGE: &str = "usage: [ADDR] [--threads N | --current-thread] [--events-per-tick N] \
                     [--header-timeout SECS] [--idle-timeout SECS]   \
                     (ADDR defaults to 127.0.0.1:8080, the timeouts to 10 and 60 s)";

/// Which runtime shape the command line asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `--threads N` (the default, with [`DEFAULT_WORKERS`]).
    MultiThread {
        /// Number of worker threads, at least 1.
        workers: usize,
    },
    /// `--current-thread`.
    CurrentThread,
}

/// The parsed command line (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// Where to listen.
    pub addr: String,
    /// Runtime shape.
    pub flavor: Flavor,
    /// `--events-per-tick N`: the runtime's `max_io_events_per_tick`, if given.
    pub events_per_tick: Option<usize>,
    /// `--header-timeout SECS`: how long a request head may take to arrive.
    pub header_timeout: Duration,
    /// `--idle-timeout SECS`: how long a kept-alive connection may stay silent.
    pub idle_timeout: Duration,
}

/// The value of a `--...-timeout SECS` flag: a positive number of seconds, fractions allowed.
fn seconds(flag: &str, value: Option<String>) -> Result<Duration, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number of seconds"))?;
    match value.parse::<f64>().map(Duration::try_from_secs_f64) {
        Ok(Ok(duration)) if !duration.is_zero() => Ok(duration),
        _ => Err(format!(
            "{flag}: `{value}` is not a positive number of seconds"
        )),
    }
}

impl Args {
    /// Parses the arguments after the program name.
    ///
    /// # Errors
    /// A message naming the offending argument.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
        let mut addr = None;
        let mut flavor = None;
        let mut events_per_tick = None;
        let mut header_timeout = DEFAULT_HEADER_TIMEOUT;
        let mut idle_timeout = DEFAULT_IDLE_TIMEOUT;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let chosen = match arg.as_str() {
                "--header-timeout" => {
                    header_timeout = seconds(&arg, args.next())?;
                    continue;
                }
                "--idle-timeout" => {
                    idle_timeout = seconds(&arg, args.next())?;
                    continue;
                }
                "--events-per-tick" => {
                    let value = args.next().ok_or("--events-per-tick needs a number")?;
                    match value.parse::<usize>() {
                        Ok(n) if n > 0 => events_per_tick = Some(n),
                        _ => {
                            return Err(format!(
                                "--events-per-tick: `{value}` is not a positive number"
                            ))
                        }
                    }
                    continue;
                }
                "--current-thread" => Flavor::CurrentThread,
                "--threads" => {
                    let value = args.next().ok_or("--threads needs a number")?;
                    match value.parse::<usize>() {
                        Ok(workers) if workers > 0 => Flavor::MultiThread { workers },
                        _ => return Err(format!("--threads: `{value}` is not a positive number")),
                    }
                }
                flag if flag.starts_with('-') => return Err(format!("unknown option `{flag}`")),
                _ if addr.is_none() => {
                    addr = Some(arg);
                    continue;
                }
                _ => return Err(format!("unexpected argument `{arg}`")),
            };
            if flavor.replace(chosen).is_some() {
                return Err("give at most one of --threads and --current-thread".into());
            }
        }
        Ok(Args {
            addr: addr.unwrap_or_else(|| DEFAULT_ADDR.to_string()),
            flavor: flavor.unwrap_or(Flavor::MultiThread {
                workers: DEFAULT_WORKERS,
            }),
            events_per_tick,
            header_timeout,
            idle_timeout,
        })
    }

    /// Parses the process's arguments; prints the usage and exits with status 2 if they are wrong.
    pub fn from_env() -> Args {
        Args::parse(std::env::args().skip(1)).unwrap_or_else(|message| {
            eprintln!("{message}\n{USAGE}");
            std::process::exit(2)
        })
    }
}
