//! Human units: sizes (`64KiB`, `2MiB`, `0x1000`) and durations (`500ms`, `5s`, `1m30s`), both
//! ways.

use std::time::Duration;

/// Parses a byte count: a number (decimal, or hex with `0x`) with an optional unit.
///
/// `B`; `K`, `KiB` (1024); `KB` (1000); likewise `M`/`MiB`/`MB`, `G`/`GiB`/`GB`,
/// `T`/`TiB`/`TB`. Units are case-insensitive; a space between number and unit is allowed.
/// Fractions are allowed when the result is a whole number of bytes (`1.5KiB`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("an empty size".into());
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map_err(|_| format!("{s:?} is not a hexadecimal number"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let num: String = num.chars().filter(|c| *c != '_').collect();
    if num.is_empty() {
        return Err(format!(
            "{s:?} does not start with a number (sizes look like 4096, 64KiB, 2MiB, 0x1000)"
        ));
    }
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "kb" => 1_000,
        "m" | "mib" => 1 << 20,
        "mb" => 1_000_000,
        "g" | "gib" => 1 << 30,
        "gb" => 1_000_000_000,
        "t" | "tib" => 1 << 40,
        "tb" => 1_000_000_000_000,
        other => {
            return Err(format!(
            "unknown size unit {other:?} in {s:?} (use B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB)"
        ))
        }
    };
    let (int, frac) = num.split_once('.').unwrap_or((&num, ""));
    if frac.contains('.') || (int.is_empty() && frac.is_empty()) {
        return Err(format!("{s:?} is not a number"));
    }
    let too_big = || format!("{s:?} is too large");
    let int_v: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| too_big())?
    };
    let mut total = int_v.checked_mul(mult).ok_or_else(too_big)?;
    if !frac.is_empty() {
        // Exact rational arithmetic: frac / 10^len * mult must be a whole number.
        let digits = frac.len() as u32;
        if digits > 18 {
            return Err(format!("{s:?} has too many decimal places"));
        }
        let den = 10u128.pow(digits);
        let num_frac: u128 = frac.parse().map_err(|_| format!("{s:?} is not a number"))?;
        let scaled = num_frac * mult as u128;
        if scaled % den != 0 {
            return Err(format!("{s:?} is not a whole number of bytes"));
        }
        let add = u64::try_from(scaled / den).map_err(|_| too_big())?;
        total = total.checked_add(add).ok_or_else(too_big)?;
    }
    Ok(total)
}

/// Parses a duration: one or more `<number><unit>` parts (`ns`, `us`/`µs`, `ms`, `s`, `m`/`min`,
/// `h`), e.g. `500ms`, `5s`, `1.5s`, `1m30s`. A bare number means seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("an empty duration".into());
    }
    if let Ok(secs) = t.parse::<f64>() {
        return secs_to_duration(secs, s);
    }
    let mut rest = t;
    let mut total = Duration::ZERO;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if n_end == 0 {
            return Err(format!(
                "{s:?} is not a duration (durations look like 500ms, 5s, 1.5s, 2m, 1m30s)"
            ));
        }
        let num: f64 = rest[..n_end]
            .parse()
            .map_err(|_| format!("{s:?} is not a duration"))?;
        rest = rest[n_end..].trim_start();
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(rest.len());
        let unit = &rest[..u_end];
        rest = rest[u_end..].trim_start();
        let secs_per = match unit.to_ascii_lowercase().as_str() {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hr" | "hours" => 3600.0,
            "" => return Err(format!("{s:?}: a number without a unit in the middle")),
            other => {
                return Err(format!(
                    "unknown time unit {other:?} in {s:?} (use ns, us, ms, s, m, h)"
                ))
            }
        };
        total += secs_to_duration(num * secs_per, s)?;
    }
    Ok(total)
}

fn secs_to_duration(secs: f64, s: &str) -> Result<Duration, String> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("{s:?} is not a valid duration"));
    }
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} is too long"))
}

/// A wait timeout: a duration, or `infinite` / `inf` / `forever` for none.
pub fn parse_timeout(s: &str) -> Result<Timeout, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "inf" | "infinite" | "forever" | "none" => Ok(Timeout(None)),
        _ => parse_duration(s).map(|d| Timeout(Some(d))),
    }
}

/// A parsed `--timeout` (None: wait forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Option<Duration>);

/// `4 MiB`, `64 KiB`, `1.5 KiB`, `100 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut div: u64 = 1024;
    while unit + 1 < UNITS.len() && bytes / div >= 1024 {
        div <<= 10;
        unit += 1;
    }
    if bytes % div == 0 {
        format!("{} {}", bytes / div, UNITS[unit])
    } else {
        let v = bytes as f64 / div as f64;
        let s = format!("{v:.1}");
        // 1023.96 KiB would print as 1024.0 KiB: keep it, it is still honest.
        format!("{s} {}", UNITS[unit])
    }
}

/// `850 ns`, `14.2 µs`, `3.1 ms`, `2.5 s`.
pub fn human_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        trim_zero(format!("{:.1} µs", ns as f64 / 1e3))
    } else if ns < 1_000_000_000 {
        trim_zero(format!("{:.1} ms", ns as f64 / 1e6))
    } else {
        trim_zero(format!("{:.1} s", ns as f64 / 1e9))
    }
}

fn trim_zero(s: String) -> String {
    s.replacen(".0 ", " ", 1)
}

/// A short age: `12s`, `3m12s`, `2h05m`, `3d04h`.
pub fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else if s < 86400 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}d{:02}h", s / 86400, (s % 86400) / 3600)
    }
}

/// Nanoseconds since the Unix epoch as RFC 3339 UTC (`2024-05-01T12:34:56.789Z`).
pub fn rfc3339(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let millis = (ns % 1_000_000_000) / 1_000_000;
    let days = (secs / 86400) as i64;
    let sod = secs % 86400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60
    )
}

/// Howard Hinnant's days-to-civil conversion.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("64 kib"), Ok(64 << 10));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("2M"), Ok(2 << 20));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("0x1000"), Ok(4096));
        assert_eq!(parse_size("1_000"), Ok(1000));
        assert!(parse_size("1.3B").is_err());
        assert!(parse_size("4XB").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("s").is_err());
        assert_eq!(parse_timeout("infinite"), Ok(Timeout(None)));
    }

    #[test]
    fn formatting() {
        assert_eq!(human_size(100), "100 B");
        assert_eq!(human_size(4 << 20), "4 MiB");
        assert_eq!(human_size(8192), "8 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_duration(Duration::from_nanos(14_200)), "14.2 µs");
        assert_eq!(human_duration(Duration::from_millis(200)), "200 ms");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(1_709_251_200_123_000_000),
            "2024-03-01T00:00:00.123Z"
        );
        assert_eq!(human_age(Duration::from_secs(192)), "3m12s");
    }
}
