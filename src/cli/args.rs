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
planetsim topo topologies/world.yaml --cut red-sea      RTT matrix after cutting the Red Sea cables\n  \
planetsim calibrate topologies/world.yaml               model vs measured RTTs\n\n\
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
Writes summary.json, timeline.csv, events.csv, states.csv, latency_*.hgrm (and data.csv with keys:) into
results/<scenario name>/ (or --out), one folder per variant, and variants.csv for a scenario with variants."
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
        /// Print nothing on success.
        #[arg(long, short)]
        quiet: bool,
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
