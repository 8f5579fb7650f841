//! Durations as people write them in config and commands.

use std::fmt;
use std::str::FromStr;

/// A span of time written the way people write it: `30s`, `5m`, `2h`, `1d`, `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub std::time::Duration);

impl HumanDuration {
    pub fn as_std(self) -> std::time::Duration {
        self.0
    }

    pub fn as_chrono(self) -> chrono::Duration {
        chrono::Duration::from_std(self.0).unwrap_or(chrono::Duration::MAX)
    }
}

impl FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let expected = || format!("`{s}` is not a duration (expected e.g. `30s`, `5m`, `2h`, `1d` or `1h30m`)");
        let mut total: u64 = 0;
        let mut digits = String::new();
        let mut parts = 0;
        for c in s.trim().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                'w' => 7 * 86_400,
                _ => return Err(expected()),
            };
            let n: u64 = digits.parse().map_err(|_| expected())?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(expected)?;
            digits.clear();
            parts += 1;
        }
        if parts == 0 || !digits.is_empty() {
            return Err(expected());
        }
        if total == 0 {
            return Err(format!("`{s}` is zero; a duration must be positive"));
        }
        Ok(HumanDuration(std::time::Duration::from_secs(total)))
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut secs = self.0.as_secs();
        if secs == 0 {
            return f.write_str("0s");
        }
        for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] {
            if secs >= unit {
                write!(f, "{}{name}", secs / unit)?;
                secs %= unit;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        let d: HumanDuration = "1h30m".parse().unwrap();
        assert_eq!(d.0.as_secs(), 5400);
        assert_eq!(d.to_string(), "1h30m");
        assert_eq!("2d".parse::<HumanDuration>().unwrap().0.as_secs(), 172_800);
        for bad in ["", "5", "m", "5x", "0s", "1.5h"] {
            assert!(bad.parse::<HumanDuration>().is_err(), "{bad}");
        }
    }
}
