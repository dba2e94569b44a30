//! Validation of topology files into a [`Topology`].

use super::checks::{non_negative, positive};
use super::diagnostic::{LoadError, Problems, did_you_mean};
use super::files::{LinkFile, LinkKindFile, S, TopologyFile};
use crate::kernel::SimDuration;
use crate::world::{GeoPoint, Link, LinkId, LinkKind, NodeId, Region, Site, Topology, geo, path_km};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Resolved defaults of a topology file.
struct Defaults {
    fiber_km_per_s: f64,
    route_factor: f64,
    hop_overhead_ms: f64,
    intra_region_rtt_ms: f64,
}

pub fn validate_topology(path: &Path, file: TopologyFile) -> Result<Topology, LoadError> {
    let mut problems = Problems::new(path);
    if file.name.value.trim().is_empty() {
        problems.on(&file.name, "name", "the topology's name is empty").expected("a non-empty name");
    }
    let defaults = resolve_defaults(&file, &mut problems);
    let mut ids: BTreeMap<String, NodeId> = BTreeMap::new();
    let regions = validate_regions(&file, &mut ids, &mut problems);
    let sites = validate_sites(&file, &mut ids, &mut problems);
    let positions: Vec<GeoPoint> = regions.iter().map(|r| r.position).chain(sites.iter().map(|s| s.position)).collect();
    let links = validate_links(&file.links, &ids, &positions, &defaults, &mut problems);
    let groups = collect_groups(&file.links, &mut problems);
    let topology = Topology {
        name: file.name.value.clone(),
        description: file.description.clone().unwrap_or_default(),
        regions,
        sites,
        links,
        groups,
        intra_region_rtt: SimDuration::from_millis_f64(defaults.intra_region_rtt_ms),
    };
    problems.finish(topology)
}

fn resolve_defaults(file: &TopologyFile, problems: &mut Problems) -> Defaults {
    let mut defaults = Defaults { fiber_km_per_s: geo::FIBER_KM_PER_S, route_factor: 1.0, hop_overhead_ms: 0.0, intra_region_rtt_ms: 0.5 };
    let Some(given) = &file.defaults else { return defaults };
    if let Some(v) = &given.fiber_km_per_s {
        defaults.fiber_km_per_s = positive(problems, v, "defaults.fiber_km_per_s");
    }
    if let Some(v) = &given.route_factor {
        defaults.route_factor = positive(problems, v, "defaults.route_factor");
    }
    if let Some(v) = &given.hop_overhead_ms {
        defaults.hop_overhead_ms = non_negative(problems, v, "defaults.hop_overhead_ms");
    }
    if let Some(v) = &given.intra_region_rtt_ms {
        defaults.intra_region_rtt_ms = non_negative(problems, v, "defaults.intra_region_rtt_ms");
    }
    defaults
}

fn check_position(problems: &mut Problems, lat: &S<f64>, lon: &S<f64>, key: &str) -> GeoPoint {
    if !(-90.0..=90.0).contains(&lat.value) {
        problems.on(lat, format!("{key}.lat"), format!("latitude {} is off the globe", lat.value)).expected("degrees from -90 to 90");
    }
    if !(-180.0..=180.0).contains(&lon.value) {
        problems.on(lon, format!("{key}.lon"), format!("longitude {} is off the globe", lon.value)).expected("degrees from -180 to 180");
    }
    GeoPoint::new(lat.value, lon.value)
}

fn check_new_id(problems: &mut Problems, ids: &mut BTreeMap<String, NodeId>, id: &S<String>, key: &str, node: usize) {
    let text = id.value.as_str();
    if text.is_empty() || text.chars().any(|c| c.is_whitespace()) {
        problems.on(id, key, format!("`{text}` is not a valid id")).expected("a non-empty id without spaces, like `frankfurt`");
    } else if ids.insert(text.to_string(), NodeId(node as u32)).is_some() {
        problems.on(id, key, format!("`{text}` is defined twice")).expected("ids unique across regions and sites");
    }
}

fn validate_regions(file: &TopologyFile, ids: &mut BTreeMap<String, NodeId>, problems: &mut Problems) -> Vec<Region> {
    if file.regions.is_empty() {
        problems.on(&file.name, "regions", "the world has no regions").expected("at least one region under `regions:`");
    }
    let mut regions = Vec::with_capacity(file.regions.len());
    for (index, region) in file.regions.iter().enumerate() {
        let key = format!("regions[{index}]");
        check_new_id(problems, ids, &region.id, &format!("{key}.id"), index);
        let position = check_position(problems, &region.lat, &region.lon, &key);
        let offset = &region.utc_offset_h;
        if !(-12.0..=14.0).contains(&offset.value) {
            problems
                .on(offset, format!("{key}.utc_offset_h"), format!("UTC offset {} h does not exist", offset.value))
                .expected("hours from -12 to 14");
        }
        regions.push(Region {
            id: region.id.value.clone(),
            name: region.name.clone().unwrap_or_else(|| region.id.value.clone()),
            position,
            utc_offset_s: (offset.value * 3600.0).round() as i64,
        });
    }
    regions
}

fn validate_sites(file: &TopologyFile, ids: &mut BTreeMap<String, NodeId>, problems: &mut Problems) -> Vec<Site> {
    let first_node = file.regions.len();
    let mut sites = Vec::with_capacity(file.sites.len());
    for (index, site) in file.sites.iter().enumerate() {
        let key = format!("sites[{index}]");
        check_new_id(problems, ids, &site.id, &format!("{key}.id"), first_node + index);
        let position = check_position(problems, &site.lat, &site.lon, &key);
        sites.push(Site { id: site.id.value.clone(), name: site.name.clone().unwrap_or_else(|| site.id.value.clone()), position });
    }
    sites
}

fn validate_links(
    links: &[LinkFile],
    ids: &BTreeMap<String, NodeId>,
    positions: &[GeoPoint],
    defaults: &Defaults,
    problems: &mut Problems,
) -> Vec<Link> {
    let mut names = BTreeSet::new();
    let mut result = Vec::with_capacity(links.len());
    for (index, link) in links.iter().enumerate() {
        let key = format!("links[{index}]");
        if !names.insert(link.name.value.as_str()) {
            problems
                .on(&link.name, format!("{key}.name"), format!("link `{}` is defined twice", link.name.value))
                .expected("unique link names");
        }
        if let Some(valid) = validate_link(link, &key, ids, positions, defaults, problems) {
            result.push(valid);
        }
    }
    result
}

fn validate_link(
    link: &LinkFile,
    key: &str,
    ids: &BTreeMap<String, NodeId>,
    positions: &[GeoPoint],
    defaults: &Defaults,
    problems: &mut Problems,
) -> Option<Link> {
    let ends = &link.between.value;
    if ends.len() != 2 {
        problems
            .on(&link.between, format!("{key}.between"), format!("a link joins two places, this lists {}", ends.len()))
            .expected("exactly two region or site ids, e.g. [london, new-york]");
        return None;
    }
    let mut nodes = [NodeId(0); 2];
    let mut all_known = true;
    for (slot, end) in ends.iter().enumerate() {
        match ids.get(end.value.as_str()) {
            Some(&node) => nodes[slot] = node,
            None => {
                all_known = false;
                problems
                    .on(end, format!("{key}.between[{slot}]"), format!("link to nowhere: no region or site is called `{}`", end.value))
                    .expected("the id of a region or site of this topology")
                    .suggest(did_you_mean(&end.value, ids.keys().map(String::as_str)));
            }
        }
    }
    if all_known && nodes[0] == nodes[1] {
        problems.on(&link.between, format!("{key}.between"), "a link joins a place to itself").expected("two different ids");
    }
    let mut points = Vec::with_capacity(link.via.len() + 2);
    for (slot, waypoint) in link.via.iter().enumerate() {
        match waypoint.value.as_slice() {
            [lat, lon] if (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon) => points.push(GeoPoint::new(*lat, *lon)),
            _ => {
                problems
                    .on(waypoint, format!("{key}.via[{slot}]"), format!("waypoint {:?} is not a position", waypoint.value))
                    .expected("[latitude, longitude] in degrees");
            }
        }
    }
    let route_factor = link.route_factor.as_ref().map_or(defaults.route_factor, |v| positive(problems, v, &format!("{key}.route_factor")));
    let hop_overhead_ms =
        link.hop_overhead_ms.as_ref().map_or(defaults.hop_overhead_ms, |v| non_negative(problems, v, &format!("{key}.hop_overhead_ms")));
    let stated_ms = link.latency_ms.as_ref().map(|v| positive(problems, v, &format!("{key}.latency_ms")));
    if !all_known {
        return None;
    }
    let mut path = Vec::with_capacity(points.len() + 2);
    path.push(positions[nodes[0].0 as usize]);
    path.extend(points);
    path.push(positions[nodes[1].0 as usize]);
    let length_km = path_km(&path);
    let one_way_ms = stated_ms.unwrap_or(length_km * route_factor / defaults.fiber_km_per_s * 1e3 + hop_overhead_ms);
    Some(Link {
        name: link.name.value.clone(),
        kind: match link.kind {
            LinkKindFile::Cable => LinkKind::Cable,
            LinkKindFile::Terrestrial => LinkKind::Terrestrial,
        },
        ends: nodes,
        groups: link.groups.iter().map(|g| g.value.clone()).collect(),
        path,
        one_way: SimDuration::from_millis_f64(one_way_ms),
    })
}

fn collect_groups(links: &[LinkFile], problems: &mut Problems) -> BTreeMap<String, Vec<LinkId>> {
    let link_names: BTreeSet<&str> = links.iter().map(|l| l.name.value.as_str()).collect();
    let mut groups: BTreeMap<String, Vec<LinkId>> = BTreeMap::new();
    for (index, link) in links.iter().enumerate() {
        for (slot, group) in link.groups.iter().enumerate() {
            if link_names.contains(group.value.as_str()) {
                problems
                    .on(
                        group,
                        format!("links[{index}].groups[{slot}]"),
                        format!("group `{}` has the name of a link, so a cut by that name would be ambiguous", group.value),
                    )
                    .expected("a group name different from every link name");
            }
            groups.entry(group.value.clone()).or_default().push(LinkId(index as u32));
        }
    }
    groups
}
