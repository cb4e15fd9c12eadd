//! "Did you mean …?" for misspelt ids, skills and fields.

/// The candidate closest to `target`, when it is close enough to be a typo.
pub fn did_you_mean<'a>(
    target: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (target.chars().count() / 3).max(2);
    candidates
        .filter(|candidate| *candidate != target)
        .map(|candidate| (strsim::levenshtein(target, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, candidate)| (*distance, *candidate))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn suggests_close_names_only() {
        let ids = ["fetch", "validate", "save"];
        assert_eq!(did_you_mean("valdate", ids.into_iter()), Some("validate"));
        assert_eq!(did_you_mean("fecth", ids.into_iter()), Some("fetch"));
        assert_eq!(did_you_mean("notify", ids.into_iter()), None);
    }
}
