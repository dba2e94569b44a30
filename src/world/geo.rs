//! Positions on the globe and the distances between them.
//!
//! Simplification: the Earth is a sphere of mean radius 6,371.0088 km (IUGG), so great-circle
//! distances are off by up to about 0.5 % against the WGS-84 ellipsoid; fiber routes deviate
//! from great circles by far more than that, which the topology's waypoints and route factors
//! carry.

pub const EARTH_RADIUS_KM: f64 = 6_371.008_8;

/// Speed of light in standard single-mode fiber: c / 1.468 (group index) ≈ 204,000 km/s.
pub const FIBER_KM_PER_S: f64 = 204_000.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeoPoint {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

impl GeoPoint {
    pub fn new(lat_deg: f64, lon_deg: f64) -> Self {
        GeoPoint { lat_deg, lon_deg }
    }
}

/// Great-circle distance (haversine).
///
/// ```
/// use planetsim::world::{GeoPoint, great_circle_km};
/// let london = GeoPoint::new(51.5074, -0.1278);
/// let new_york = GeoPoint::new(40.7128, -74.0060);
/// assert!((great_circle_km(london, new_york) - 5570.0).abs() < 10.0);
/// ```
pub fn great_circle_km(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat_deg.to_radians(), b.lat_deg.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon_deg - a.lon_deg).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// Length of a path through `points`, each leg a great circle.
pub fn path_km(points: &[GeoPoint]) -> f64 {
    points.windows(2).map(|pair| great_circle_km(pair[0], pair[1])).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        let london = GeoPoint::new(51.5074, -0.1278);
        let new_york = GeoPoint::new(40.7128, -74.0060);
        let d = great_circle_km(london, new_york);
        assert!((d - 5_570.0).abs() < 10.0, "London–New York {d} km");
        // A quarter of the equator.
        let quarter = great_circle_km(GeoPoint::new(0.0, 0.0), GeoPoint::new(0.0, 90.0));
        assert!((quarter - EARTH_RADIUS_KM * std::f64::consts::FRAC_PI_2).abs() < 1e-6);
        assert_eq!(great_circle_km(london, london), 0.0);
    }

    #[test]
    fn path_sums_its_legs() {
        let a = GeoPoint::new(0.0, 0.0);
        let b = GeoPoint::new(0.0, 10.0);
        let c = GeoPoint::new(10.0, 10.0);
        let direct = great_circle_km(a, c);
        let via_b = path_km(&[a, b, c]);
        assert!(via_b > direct);
        assert!((via_b - great_circle_km(a, b) - great_circle_km(b, c)).abs() < 1e-9);
    }
}
