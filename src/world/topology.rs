//! The validated world: regions, other sites, and the links between them.
//!
//! A region is a place that can host clients and servers; a site is any other graph node (a
//! cable landing station, a backbone hub). Links are bidirectional and symmetric. A link's
//! one-way latency is fixed at load time: the stated `latency_ms` if any, else its path length
//! times its route factor over the speed of light in fiber, plus a per-hop overhead.
//!
//! Simplifications: links are symmetric (the same latency both ways); latency does not depend on
//! load here (capacities and queueing on links arrive with the fault layer); there is no BGP:
//! routing is the lowest-latency path, as an ideal traffic-engineered backbone would choose.

use super::geo::GeoPoint;
use crate::kernel::SimDuration;
use std::collections::BTreeMap;

/// Index of a region in `Topology::regions`; also its node index in the link graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u32);

/// Index of a node (regions first, then sites).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u32);

#[derive(Clone, Debug)]
pub struct Region {
    pub id: String,
    pub name: String,
    pub position: GeoPoint,
    /// Standard-time offset from UTC, in seconds (no daylight saving).
    pub utc_offset_s: i64,
}

#[derive(Clone, Debug)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub position: GeoPoint,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Cable,
    Terrestrial,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Cable => "cable",
            LinkKind::Terrestrial => "terrestrial",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Link {
    pub name: String,
    pub kind: LinkKind,
    pub ends: [NodeId; 2],
    pub groups: Vec<String>,
    /// Its route on the globe: one end, the waypoints, the other end.
    pub path: Vec<GeoPoint>,
    pub one_way: SimDuration,
}

#[derive(Clone, Debug)]
pub struct Topology {
    pub name: String,
    pub description: String,
    pub regions: Vec<Region>,
    pub sites: Vec<Site>,
    pub links: Vec<Link>,
    /// Group name -> its links, in file order.
    pub groups: BTreeMap<String, Vec<LinkId>>,
    /// Round trip between a client and a server in the same region.
    pub intra_region_rtt: SimDuration,
}

impl Topology {
    pub fn node_count(&self) -> usize {
        self.regions.len() + self.sites.len()
    }

    pub fn region_by_id(&self, id: &str) -> Option<RegionId> {
        self.regions.iter().position(|r| r.id == id).map(|i| RegionId(i as u32))
    }

    pub fn region(&self, id: RegionId) -> &Region {
        &self.regions[id.0 as usize]
    }

    /// Resolves a cut name: a link's name or a group's name, to the links it covers.
    pub fn resolve_cut(&self, name: &str) -> Option<Vec<LinkId>> {
        if let Some(index) = self.links.iter().position(|l| l.name == name) {
            return Some(vec![LinkId(index as u32)]);
        }
        self.groups.get(name).cloned()
    }

    /// Every name a cut may use: link names, then group names.
    pub fn cut_names(&self) -> impl Iterator<Item = &str> {
        self.links.iter().map(|l| l.name.as_str()).chain(self.groups.keys().map(String::as_str))
    }
}
