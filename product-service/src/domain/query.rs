//! The query of `GET /products`: filters, sort order and paging, validated as a whole.
//!
//! | parameter | meaning |
//! | --- | --- |
//! | `search` | words matched in name, description and tags (see [`super::search`]) |
//! | `category` | exact category, case-insensitive |
//! | `tag` | products carrying this tag (tags are lowercase) |
//! | `minPrice`, `maxPrice` | inclusive bounds, decimals with at most two places, `min <= max` |
//! | `sort` | `price`, `-price`, `name`, `-createdAt`, or `relevance` (only with `search`); default `-createdAt`, or `relevance` when searching |
//! | `page` | 1 or more, default 1 |
//! | `limit` | 1 or more, default 20; values above 100 are capped at 100 (and `meta.limit` says so) |
//!
//! Unknown parameters are ignored. Ties in every order are broken by id, so paging is stable.

use shared::{Money, Problems};

use super::search::Search;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: u64 = 20;
/// Largest page; larger requests are capped to it.
pub const MAX_LIMIT: u64 = 100;
/// Highest page number accepted (keeps `skip` bounded).
pub const MAX_PAGE: u64 = 100_000;

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Cheapest first (`price`), ties by id ascending.
    PriceAsc,
    /// Dearest first (`-price`), ties by id ascending.
    PriceDesc,
    /// By name, case-insensitive (`name`), ties by id ascending.
    Name,
    /// Newest first (`-createdAt`), ties by id descending (ids grow with time).
    Newest,
    /// Best search match first (`relevance`), ties by id ascending.
    Relevance,
}

impl Sort {
    /// The spelling in the query string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PriceAsc => "price",
            Self::PriceDesc => "-price",
            Self::Name => "name",
            Self::Newest => "-createdAt",
            Self::Relevance => "relevance",
        }
    }
}

/// A valid list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Words to search for.
    pub search: Option<Search>,
    /// The category, lowercased.
    pub category: Option<String>,
    /// The tag, lowercased.
    pub tag: Option<String>,
    /// Lowest price, inclusive.
    pub min_price: Option<Money>,
    /// Highest price, inclusive.
    pub max_price: Option<Money>,
    /// The order.
    pub sort: Sort,
    /// 1-based page number.
    pub page: u64,
    /// Page size, 1..=100.
    pub limit: u64,
}

impl ListQuery {
    /// Validates the query-string pairs, reporting every bad parameter. When a parameter is
    /// repeated, the last one counts.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, Problems> {
        let get = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let mut errors = Problems::new();
        let search = get("search").and_then(|s| errors.check("search", Search::parse(s)));
        let category = get("category").map(str::to_lowercase);
        let tag = get("tag").map(str::to_lowercase);
        let min_price = get("minPrice").and_then(|v| errors.check("minPrice", Money::parse(v)));
        let max_price = get("maxPrice").and_then(|v| errors.check("maxPrice", Money::parse(v)));
        if let (Some(min), Some(max)) = (min_price, max_price)
            && min > max
        {
            errors.add("minPrice", "must not be above maxPrice");
        }
        let sort = match get("sort") {
            None if search.is_some() => Some(Sort::Relevance),
            None => Some(Sort::Newest),
            Some(raw) => errors.check("sort", parse_sort(raw, search.is_some())),
        };
        let page = match get("page") {
            None => Some(1),
            Some(raw) => errors.check("page", whole(raw, 1, MAX_PAGE)),
        };
        let limit = match get("limit") {
            None => Some(DEFAULT_LIMIT),
            Some(raw) => errors.check("limit", limit(raw)),
        };
        match (sort, page, limit) {
            (Some(sort), Some(page), Some(limit)) if errors.is_empty() => Ok(Self {
                search,
                category,
                tag,
                min_price,
                max_price,
                sort,
                page,
                limit,
            }),
            _ => Err(errors),
        }
    }

    /// How many matches come before this page.
    pub fn skip(&self) -> u64 {
        (self.page - 1) * self.limit
    }

    /// One canonical text per distinct query, for cache keys: equal queries (whatever their
    /// spelling, order or repeated parameters) give equal keys.
    pub fn canonical(&self) -> String {
        let price = |p: Option<Money>| p.map(|c| c.cents().to_string()).unwrap_or_default();
        format!(
            "s={}|c={}|t={}|min={}|max={}|o={}|p={}|l={}",
            self.search
                .as_ref()
                .map(Search::canonical)
                .unwrap_or_default(),
            self.category.as_deref().unwrap_or_default(),
            self.tag.as_deref().unwrap_or_default(),
            price(self.min_price),
            price(self.max_price),
            self.sort.as_str(),
            self.page,
            self.limit,
        )
    }
}

fn parse_sort(raw: &str, searching: bool) -> Result<Sort, String> {
    match raw {
        "price" => Ok(Sort::PriceAsc),
        "-price" => Ok(Sort::PriceDesc),
        "name" => Ok(Sort::Name),
        "-createdAt" => Ok(Sort::Newest),
        "relevance" if searching => Ok(Sort::Relevance),
        "relevance" => Err("relevance needs a search".to_owned()),
        _ => Err("must be one of price, -price, name, -createdAt, relevance".to_owned()),
    }
}

/// A page size: 1 or more; anything above [`MAX_LIMIT`], however large, is capped.
fn limit(raw: &str) -> Result<u64, String> {
    match whole(raw, 1, u64::MAX) {
        Err(_) if raw.bytes().all(|b| b.is_ascii_digit()) && raw.bytes().any(|b| b != b'0') => {
            Ok(MAX_LIMIT)
        }
        other => other.map(|l| l.min(MAX_LIMIT)),
    }
}

fn whole(raw: &str, min: u64, max: u64) -> Result<u64, String> {
    match raw.parse::<u64>() {
        Ok(n) if n < min => Err(format!("must be at least {min}")),
        Ok(n) if n > max => Err(format!("must be at most {max}")),
        Ok(n) => Ok(n),
        // All digits but too long for u64: too large rather than malformed.
        Err(_) if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("must be at most {max}"))
        }
        Err(_) => Err("must be a whole number".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &[(&str, &str)]) -> Result<ListQuery, Problems> {
        let pairs: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ListQuery::parse(&pairs)
    }

    #[test]
    fn an_empty_query_lists_the_newest_first_page() {
        let q = parse(&[]).unwrap();
        assert_eq!(
            (q.sort, q.page, q.limit, q.skip()),
            (Sort::Newest, 1, 20, 0)
        );
    }

    #[test]
    fn searching_sorts_by_relevance_unless_told_otherwise() {
        assert_eq!(parse(&[("search", "shoe")]).unwrap().sort, Sort::Relevance);
        assert_eq!(
            parse(&[("search", "shoe"), ("sort", "price")])
                .unwrap()
                .sort,
            Sort::PriceAsc
        );
        assert!(
            parse(&[("sort", "relevance")])
                .unwrap_err()
                .get("sort")
                .is_some()
        );
    }

    #[test]
    fn a_limit_above_the_maximum_is_capped() {
        assert_eq!(parse(&[("limit", "500")]).unwrap().limit, MAX_LIMIT);
        assert_eq!(
            parse(&[("limit", "99999999999999999999999")])
                .unwrap()
                .limit,
            MAX_LIMIT
        );
        assert_eq!(
            parse(&[("limit", "0")]).unwrap_err().get("limit"),
            Some("must be at least 1")
        );
        assert!(
            parse(&[("limit", "-1")])
                .unwrap_err()
                .get("limit")
                .is_some()
        );
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let errors = parse(&[
            ("page", "0"),
            ("limit", "ten"),
            ("sort", "popularity"),
            ("minPrice", "1.234"),
            ("maxPrice", "-3"),
        ])
        .unwrap_err();
        for field in ["page", "limit", "sort", "minPrice", "maxPrice"] {
            assert!(errors.get(field).is_some(), "{field}: {errors:?}");
        }
    }

    #[test]
    fn min_price_above_max_price_is_refused() {
        let errors = parse(&[("minPrice", "10"), ("maxPrice", "9.99")]).unwrap_err();
        assert_eq!(errors.get("minPrice"), Some("must not be above maxPrice"));
        assert!(parse(&[("minPrice", "10"), ("maxPrice", "10.00")]).is_ok());
    }

    #[test]
    fn equal_queries_share_a_cache_key() {
        let a = parse(&[("category", "Shoes"), ("maxPrice", "20"), ("page", "1")]).unwrap();
        let b = parse(&[("maxPrice", "20.00"), ("category", "shoes")]).unwrap();
        assert_eq!(a.canonical(), b.canonical());
        let c = parse(&[("category", "shoes"), ("maxPrice", "20"), ("page", "2")]).unwrap();
        assert_ne!(a.canonical(), c.canonical());
    }
}
