//! The command line as clap sees it. Nothing below `cli::commands` ever sees these types.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "planetsim",
    version,
    about = "Deterministic discrete-event simulator of planet-scale systems",
    long_about = "Deterministic discrete-event simulator of planet-scale systems: regions on the globe, \
cables with the speed of light in fiber, client populations, routers and servers, latency histograms.\n\n\
The same scenario and seed always give byte-identical results.",
    after_help = "Examples:\n  \
planetsim run scenarios/quickstart.yaml                 run a scenario, write results/quickstart/\n  \
planetsim run scenarios/quickstart.yaml --seed 7 --out /tmp/q7\n  \
planetsim validate scenarios/quickstart.yaml topologies/world.yaml\n  \
planetsim check scenarios/                              run every scenario's expectations\n  \
planetsim sweep scenarios/retry-storm.yaml --set clients[0].retries.max=0,3,5\n  \
planetsim topo topologies/world.yaml --cut red-sea      RTT matrix after cutting the Red Sea cables\n  \
planetsim calibrate topologies/world.yaml               model vs measured RTTs\n  \
planetsim schema > planetsim.schema.json                JSON Schema of scenario and topology files, for editors\n  \
planetsim completions bash > ~/.local/share/bash-completion/completions/planetsim\n\n\
Exit codes: 0 success, 1 a scenario's expectations failed, 2 bad input or usage."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario and write its results.
    #[command(
        after_help = "Examples:\n  planetsim run scenarios/quickstart.yaml\n  planetsim run scenarios/quickstart.yaml --seed 42 --out /tmp/run42 --format json\n\n\
Writes summary.json, timeline.csv, events.csv, states.csv, latency_*.hgrm (and data.csv with keys:) and
plots/ (PNG and SVG) into results/<scenario name>/ (or --out), one folder per variant, and variants.csv
for a scenario with variants; with --report, also report.html."
    )]
    Run {
        /// The scenario file (YAML).
        scenario: PathBuf,
        /// Override the scenario's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// Folder for the result files [default: results/<scenario name>]; a scenario with
        /// variants writes one subfolder per variant, and variants.csv.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run only this variant of the scenario.
        #[arg(long)]
        variant: Option<String>,
        /// What to print on stdout.
        #[arg(long, value_enum, default_value_t = RunFormat::Text)]
        format: RunFormat,
        /// Print nothing on success, and no progress line.
        #[arg(long, short)]
        quiet: bool,
        /// Run each variant on this many seeds (seed, seed + 1, …) and report every metric's
        /// mean and 95 % interval (replications.json) and the merged histograms.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        replications: u32,
        /// Threads for replications [default: one per core]; results do not depend on it.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Option<u32>,
        /// Do not draw the plots (plots/*.png and *.svg).
        #[arg(long)]
        no_plots: bool,
        /// Also write report.html: one self-contained page with the summary tables, the
        /// expectations judged on this run, and every plot.
        #[arg(long)]
        report: bool,
    },
    /// Run scenarios and check their expectations (`expect:`); exit 1 if any fails.
    #[command(
        after_help = "Examples:\n  planetsim check scenarios/\n  planetsim check scenarios/retry-storm.yaml --replications 5 --junit check.xml\n\n\
Prints one line per expectation (and variant): pass or FAIL, the measured value with its 95 % interval over
replications, and the bound; for a failure, the command that reproduces it. Folders are searched for
*.yaml scenario files (topology files are skipped). Writes no result files, but with --report one page per
scenario and index.html [default folder: results/check-report].
Exit codes: 0 all hold, 1 any fails, 2 bad input (a file, a metric path)."
    )]
    Check {
        /// Scenario files or folders.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Seeds per variant [default: the scenario's `replications:`, or 1].
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
        replications: Option<u32>,
        /// First seed [default: the scenario's].
        #[arg(long)]
        seed: Option<u64>,
        /// Also write a JUnit XML report here.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Threads [default: one per core]; results do not depend on it.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Option<u32>,
        /// Print only failures and the final count, and no progress line.
        #[arg(long, short)]
        quiet: bool,
        /// Also write a report: one self-contained <scenario>.html per scenario (tables,
        /// expectations, plots of the first seed) and index.html, into DIR.
        #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "results/check-report")]
        report: Option<PathBuf>,
    },
    /// Run a scenario over a grid of parameter values and tabulate metrics (CSV and Markdown).
    #[command(after_help = "Examples:\n  planetsim sweep scenarios/retry-storm.yaml --set clients[0].retries.max=0,1,3,5\n  \
planetsim sweep scenarios/quickstart.yaml --set services[0].workers=16,24,32 --set clients[0].rate_rps=100,200 \\\n      \
--metric availability --metric regions.tokyo.latency_ms.p99 --replications 3\n\n\
Keys are paths into the scenario, as in a variant's `set:`; each point is validated like the file itself.
Every variant is swept unless --variant names one. Writes sweep.csv and sweep.md into --out
[default: results/<scenario name>/sweep] and prints the Markdown table.")]
    Sweep {
        scenario: PathBuf,
        /// `key=v1,v2,…`: a path into the scenario and its values (repeatable: the grid of all).
        #[arg(long = "set", value_name = "KEY=VALUES", required = true)]
        sets: Vec<String>,
        /// A metric path of summary.json to tabulate (repeatable)
        /// [default: availability, latency_ms.p50, latency_ms.p99, requests.amplification].
        #[arg(long = "metric", value_name = "PATH")]
        metrics: Vec<String>,
        /// Sweep only this variant.
        #[arg(long)]
        variant: Option<String>,
        /// Seeds per point.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        replications: u32,
        /// First seed [default: the scenario's].
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Threads [default: one per core]; results do not depend on it.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
        threads: Option<u32>,
    },
    /// Check scenario or topology files without running them.
    #[command(after_help = "Examples:\n  planetsim validate scenarios/quickstart.yaml\n  planetsim validate topologies/*.yaml")]
    Validate {
        /// Files to check; each is recognised as a scenario (it has `topology:`) or a topology.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the round-trip-time matrix between the regions of a topology.
    #[command(
        after_help = "Examples:\n  planetsim topo topologies/world.yaml\n  planetsim topo topologies/world.yaml --cut red-sea --format csv\n  planetsim topo topologies/world.yaml --cut marea --cut dunant\n\n\
RTTs are in ms with one decimal; `-` (text) or an empty cell (csv) means unreachable."
    )]
    Topo {
        topology: PathBuf,
        /// Remove a link, or every link of a group, before routing (repeatable).
        #[arg(long = "cut", value_name = "NAME")]
        cuts: Vec<String>,
        #[arg(long, value_enum, default_value_t = TopoFormat::Text)]
        format: TopoFormat,
    },
    /// Compare a topology's modelled RTTs with a measured matrix.
    #[command(after_help = "Example:\n  planetsim calibrate topologies/world.yaml\n\n\
By default reads measured/gcp_rtt_median_2023-11-27.csv and measured/gcp_regions.csv beside the topology.")]
    Calibrate {
        topology: PathBuf,
        /// Measured RTT matrix (CSV, ms).
        #[arg(long)]
        measured: Option<PathBuf>,
        /// Mapping from measured region codes to topology regions (CSV).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Only compare pairs at least this far apart.
        #[arg(long, default_value_t = 1000.0)]
        min_km: f64,
        /// How many of the worst pairs to list.
        #[arg(long, default_value_t = 10)]
        worst: usize,
    },
    /// Print the JSON Schema of scenario and topology files, for editors and other tools.
    #[command(after_help = "Examples:\n  planetsim schema > planetsim.schema.json\n  planetsim schema scenario\n\n\
Without an argument the schema accepts either kind of file. It checks a file's shape (keys, types,
durations), not its meaning: `planetsim validate` does both. docs/planetsim.schema.json is this
output; README.md (Editor support) shows how to point an editor at it.")]
    Schema {
        /// Only scenario files, or only topology files [default: either].
        #[arg(value_enum)]
        file: Option<SchemaFile>,
    },
    /// Print a shell completion script on stdout.
    #[command(after_help = "Examples:\n  planetsim completions bash > ~/.local/share/bash-completion/completions/planetsim\n  \
planetsim completions zsh > ~/.zfunc/_planetsim          (with fpath+=~/.zfunc before compinit)\n  \
planetsim completions fish > ~/.config/fish/completions/planetsim.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Which files `planetsim schema` describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaFile {
    Scenario,
    Topology,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TopoFormat {
    Text,
    Csv,
}
