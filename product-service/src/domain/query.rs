//! The query of `GET /products`: filters, sort order and paging, validated as a whole.
//!
//! | parameter | meaning |
//! | --- | --- |
//! | `search` | words matched in name, description and tags (see [`super::search`]) |
//! | `category` | a category by id or slug (a name is read as its slug): it and every category under it; 404 when none is so named |
//! | `brand` | exact brand, case-insensitive |
//! | `tag` | products carrying this tag (tags are lowercase) |
//! | `minPrice`, `maxPrice` | inclusive bounds, decimals with at most two places, `min <= max` |
//! | `sort` | `price`, `-price`, `name`, `-createdAt`, `rating` (best average first, ties by review count), or `relevance` (only with `search`); default `-createdAt`, or `relevance` when searching |
//! | `page` | 1 or more, default 1 |
//! | `limit` | 1 or more, default 20; values above 100 are capped at 100 (and `meta.limit` says so) |
//!
//! The rules of each parameter are `shared::api::products::ProductQuery`'s (the gateway checks
//! the same); unknown parameters are ignored. Ties in every order are broken by id, so paging
//! is stable.

use shared::{ApiError, Money, api::products::ProductQuery};

use super::search::Search;

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
    /// Best average rating first (`rating`), then most reviews, then id ascending; products
    /// without reviews last.
    Rating,
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
            Self::Rating => "rating",
        }
    }
}

/// A valid list query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Words to search for.
    pub search: Option<Search>,
    /// The category as asked for (an id, slug or name), lowercased.
    pub category: Option<String>,
    /// The ids of that category and of every category under it, once the route has looked
    /// them up in the tree (`None` without a category filter).
    pub within: Option<Vec<String>>,
    /// The brand, lowercased.
    pub brand: Option<String>,
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
    /// A checked query (`shared::api::products::ProductQuery`, the gateway's check too) as
    /// filters, order and page.
    pub fn from_query(query: &ProductQuery) -> Result<Self, ApiError> {
        fn text(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let search = text(&query.search)
            .map(Search::parse)
            .transpose()
            .map_err(|e| ApiError::field("search", e))?;
        let price = |v: &Option<String>, field: &str| {
            text(v)
                .map(Money::parse)
                .transpose()
                .map_err(|e| ApiError::field(field, e.to_string()))
        };
        let sort = match text(&query.sort) {
            None if search.is_some() => Sort::Relevance,
            None => Sort::Newest,
            Some(raw) => {
                parse_sort(raw, search.is_some()).map_err(|e| ApiError::field("sort", e))?
            }
        };
        Ok(Self {
            category: text(&query.category).map(str::to_lowercase),
            within: None,
            brand: text(&query.brand).map(str::to_lowercase),
            tag: text(&query.tag).map(str::to_lowercase),
            min_price: price(&query.min_price, "minPrice")?,
            max_price: price(&query.max_price, "maxPrice")?,
            sort,
            page: query.paging.page(),
            limit: query.paging.limit(),
            search,
        })
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
            "s={}|c={}|b={}|t={}|min={}|max={}|o={}|p={}|l={}",
            self.search
                .as_ref()
                .map(Search::canonical)
                .unwrap_or_default(),
            self.category.as_deref().unwrap_or_default(),
            self.brand.as_deref().unwrap_or_default(),
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
        "rating" => Ok(Sort::Rating),
        "relevance" if searching => Ok(Sort::Relevance),
        "relevance" => Err("relevance needs a search".to_owned()),
        _ => Err("must be one of price, -price, name, -createdAt, relevance, rating".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<ListQuery, ApiError> {
        let checked: ProductQuery = shared::api::query::parse(Some(query))?;
        ListQuery::from_query(&checked)
    }

    fn problems(query: &str) -> serde_json::Value {
        match parse(query) {
            Err(ApiError::Validation { details, .. }) => details,
            other => panic!("{query} was not refused: {other:?}"),
        }
    }

    #[test]
    fn an_empty_query_lists_the_newest_first_page() {
        let q = parse("").unwrap();
        assert_eq!(
            (q.sort, q.page, q.limit, q.skip()),
            (Sort::Newest, 1, 20, 0)
        );
    }

    #[test]
    fn searching_sorts_by_relevance_unless_told_otherwise() {
        assert_eq!(parse("search=shoe").unwrap().sort, Sort::Relevance);
        assert_eq!(
            parse("search=shoe&sort=price").unwrap().sort,
            Sort::PriceAsc
        );
        assert!(problems("sort=relevance").get("sort").is_some());
    }

    #[test]
    fn a_limit_above_the_maximum_is_capped() {
        assert_eq!(parse("limit=500").unwrap().limit, 100);
        assert!(problems("limit=0").get("limit").is_some());
        assert!(problems("limit=-1").get("limit").is_some());
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let errors = problems("page=0&limit=ten&sort=popularity&minPrice=1.234&maxPrice=-3");
        for field in ["page", "limit", "sort", "minPrice", "maxPrice"] {
            assert!(errors.get(field).is_some(), "{field}: {errors}");
        }
    }

    #[test]
    fn min_price_above_max_price_is_refused() {
        assert_eq!(
            problems("minPrice=10&maxPrice=9.99")["minPrice"],
            "must not be above maxPrice"
        );
        assert!(parse("minPrice=10&maxPrice=10.00").is_ok());
    }

    #[test]
    fn equal_queries_share_a_cache_key() {
        let a = parse("category=Shoes&maxPrice=20&page=1").unwrap();
        let b = parse("maxPrice=20.00&category=shoes").unwrap();
        assert_eq!(a.canonical(), b.canonical());
        let c = parse("category=shoes&maxPrice=20&page=2").unwrap();
        assert_ne!(a.canonical(), c.canonical());
    }
}
