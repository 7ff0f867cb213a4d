//! A provider's recognisable mark on its tile: a short monogram and a colour, written in its
//! definition (`[tile] mark = "WC", colour = "#1f7a5c"`), never a copied logo. A mark that is
//! too long or a colour that is not `#rrggbb` is refused at load, so the window never has to
//! guess; a definition without `[tile]` gets its name's first letters on a neutral grey.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A checked tile mark: 1 to 3 letters or digits, and a `#rrggbb` colour that white text is
/// readable on (the window draws the monogram in white).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TileMark {
    /// The monogram, as written ("WC").
    mark: String,
    /// The background colour, `#rrggbb` in lower case.
    colour: String,
}

/// `[tile]` as written in a definition file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TileMarkFile {
    mark: String,
    colour: String,
}

/// The neutral grey of a definition without `[tile]`.
const DEFAULT_COLOUR: &str = "#5a6270";
/// The least contrast of white on the colour (WCAG 2's AA for text).
const MIN_CONTRAST: f64 = 4.5;

impl TileMark {
    pub fn new(mark: &str, colour: &str) -> Result<Self, String> {
        let mark = mark.trim();
        let count = mark.chars().count();
        if count == 0 || count > 3 || !mark.chars().all(char::is_alphanumeric) {
            return Err(format!(
                "[tile] mark must be 1 to 3 letters or digits (got {mark:?})"
            ));
        }
        let rgb = parse_hex(colour).ok_or_else(|| {
            format!("[tile] colour must be a colour like \"#1f7a5c\" (got {colour:?})")
        })?;
        let contrast = contrast_with_white(rgb);
        if contrast < MIN_CONTRAST {
            return Err(format!(
                "[tile] colour {colour} is too light for the white monogram (contrast {contrast:.1}:1, at least {MIN_CONTRAST}:1 is needed); choose a darker one"
            ));
        }
        Ok(Self {
            mark: mark.to_string(),
            colour: colour.to_ascii_lowercase(),
        })
    }

    /// The mark of a definition without `[tile]`: the first two letters or digits of its name.
    pub fn fallback(display_name: &str) -> Self {
        let mark: String = display_name
            .chars()
            .filter(|c| c.is_alphanumeric())
            .take(2)
            .collect();
        let mark = if mark.is_empty() {
            "?".to_string()
        } else {
            mark
        };
        Self {
            mark,
            colour: DEFAULT_COLOUR.to_string(),
        }
    }

    pub fn mark(&self) -> &str {
        &self.mark
    }

    pub fn colour(&self) -> &str {
        &self.colour
    }
}

/// Read through [`TileMark::new`], so a definition cannot hold a mark it would refuse.
impl<'de> Deserialize<'de> for TileMark {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let f = TileMarkFile::deserialize(d)?;
        Self::new(&f.mark, &f.colour).map_err(serde::de::Error::custom)
    }
}

fn parse_hex(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.strip_prefix('#')?;
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// WCAG 2's contrast ratio of white on `rgb`.
fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
    1.05 / (l + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_mark_on_a_dark_colour_is_kept() {
        let m = TileMark::new(" WC ", "#1F7A5C").unwrap();
        assert_eq!((m.mark(), m.colour()), ("WC", "#1f7a5c"));
    }

    #[test]
    fn long_or_empty_marks_and_odd_colours_are_refused() {
        for (mark, colour) in [
            ("", "#1f7a5c"),
            ("WCXX", "#1f7a5c"),
            ("W C", "#1f7a5c"),
            ("<b>", "#1f7a5c"),
            ("WC", "1f7a5c"),
            ("WC", "#1f7a5"),
            ("WC", "#1f7a5g"),
            ("WC", "red"),
        ] {
            assert!(TileMark::new(mark, colour).is_err(), "{mark:?} {colour:?}");
        }
    }

    #[test]
    fn a_colour_too_light_for_white_text_is_refused_with_its_contrast() {
        let e = TileMark::new("WC", "#ffdd00").unwrap_err();
        assert!(e.contains("too light") && e.contains(":1"), "{e}");
        assert!(TileMark::new("WC", "#767676").is_ok(), "4.54:1 is enough");
        assert!(TileMark::new("WC", "#777777").is_err(), "4.48:1 is not");
    }

    #[test]
    fn a_definition_without_a_mark_gets_its_first_letters_on_grey() {
        let m = TileMark::fallback("Email Octopus");
        assert_eq!((m.mark(), m.colour()), ("Em", DEFAULT_COLOUR));
        assert!(contrast_with_white(parse_hex(DEFAULT_COLOUR).unwrap()) >= MIN_CONTRAST);
    }

    #[test]
    fn it_reads_from_toml_and_refuses_bad_values_there() {
        #[derive(Deserialize)]
        struct F {
            tile: TileMark,
        }
        let f: F = toml::from_str("[tile]\nmark = \"BT\"\ncolour = \"#8a3b12\"\n").unwrap();
        assert_eq!(f.tile.mark(), "BT");
        let e = toml::from_str::<F>("[tile]\nmark = \"BOOM\"\ncolour = \"#8a3b12\"\n")
            .err()
            .unwrap();
        assert!(e.to_string().contains("1 to 3 letters"), "{e}");
    }
}
