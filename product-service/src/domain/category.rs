//! Categories and their tree, with no I/O: slugs, the tree built from the stored categories,
//! the descendants a listing filter takes in, and the rules a move must keep (no cycle, not too
//! deep).

use std::collections::{BTreeMap, HashMap};

use shared::api::categories::{self as api, MAX_DEPTH};

/// A category as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Its id, 24 hex digits.
    pub id: String,
    /// Its name, trimmed.
    pub name: String,
    /// Its unique slug.
    pub slug: String,
    /// Its parent's id, `None` at the top.
    pub parent: Option<String>,
    /// Created, epoch milliseconds.
    pub created_at: i64,
    /// Last changed, epoch milliseconds.
    pub updated_at: i64,
}

impl Category {
    /// As other answers name it.
    pub fn reference(&self) -> api::CategoryRef {
        api::CategoryRef {
            id: self.id.clone(),
            name: self.name.clone(),
            slug: self.slug.clone(),
        }
    }
}

/// The slug of a name: lowercase letters and digits, every other run of characters one
/// hyphen, none at either end (`"Home & Kitchen"` → `home-kitchen`). Empty when the name has
/// no letter or digit.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            if gap && !slug.is_empty() {
                slug.push('-');
            }
            gap = false;
            slug.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    slug.chars()
        .take(api::MAX_SLUG)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

/// Why a move is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveError {
    /// The new parent is the category itself or one of its descendants.
    Cycle,
    /// The subtree would reach deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Every category, as a tree.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    by_id: HashMap<String, Category>,
    /// Children's ids by parent id (`""` for the top), each sorted by name then id.
    children: HashMap<String, Vec<String>>,
}

impl Tree {
    /// The tree of `categories`. A category whose parent is missing (deleted underneath it by
    /// a race) is shown at the top rather than lost.
    pub fn new(categories: Vec<Category>) -> Self {
        let by_id: HashMap<String, Category> =
            categories.into_iter().map(|c| (c.id.clone(), c)).collect();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut sorted: Vec<&Category> = by_id.values().collect();
        sorted.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(&b.id))
        });
        for category in sorted {
            let parent = category
                .parent
                .as_ref()
                .filter(|p| by_id.contains_key(*p))
                .cloned()
                .unwrap_or_default();
            children
                .entry(parent)
                .or_default()
                .push(category.id.clone());
        }
        Self { by_id, children }
    }

    /// The category `id`.
    pub fn get(&self, id: &str) -> Option<&Category> {
        self.by_id.get(id)
    }

    /// The category named by `key`: an id, else a slug, else a name read as its slug.
    pub fn find(&self, key: &str) -> Option<&Category> {
        let key = key.trim();
        if let Some(found) = self.by_id.get(&key.to_lowercase()) {
            return Some(found);
        }
        let slug = slugify(key);
        self.by_id.values().find(|c| c.slug == slug)
    }

    fn children_of(&self, id: &str) -> &[String] {
        self.children.get(id).map_or(&[], Vec::as_slice)
    }

    /// `id` and every category under it.
    pub fn with_descendants(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_owned()];
        let mut next = 0;
        while next < out.len() {
            let children = self.children_of(&out[next]).to_vec();
            // A cycle cannot be stored (moves are checked), but a tree read mid-race must
            // still end.
            out.extend(children.into_iter().filter(|c| c != id));
            next += 1;
            if out.len() > self.by_id.len() {
                break;
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// From the top down to `id` (itself last).
    pub fn path(&self, id: &str) -> Vec<&Category> {
        let mut path = Vec::new();
        let mut at = self.by_id.get(id);
        while let Some(category) = at {
            if path.len() > self.by_id.len() {
                break;
            }
            path.push(category);
            at = category.parent.as_ref().and_then(|p| self.by_id.get(p));
        }
        path.reverse();
        path
    }

    /// The categories directly under `id`, by name.
    pub fn children(&self, id: &str) -> Vec<&Category> {
        self.children_of(id)
            .iter()
            .filter_map(|c| self.by_id.get(c))
            .collect()
    }

    /// How many levels the subtree of `id` spans (1 for a leaf).
    fn height(&self, id: &str) -> usize {
        1 + self
            .children_of(id)
            .iter()
            .map(|c| self.height(c))
            .max()
            .unwrap_or(0)
    }

    /// Whether `id` may go under `parent` (`None`: the top).
    pub fn check_move(&self, id: &str, parent: Option<&str>) -> Result<(), MoveError> {
        let Some(parent) = parent else {
            return if self.height(id) > MAX_DEPTH {
                Err(MoveError::TooDeep)
            } else {
                Ok(())
            };
        };
        let path = self.path(parent);
        if parent == id || path.iter().any(|c| c.id == id) {
            return Err(MoveError::Cycle);
        }
        if path.len() + self.height(id) > MAX_DEPTH {
            return Err(MoveError::TooDeep);
        }
        Ok(())
    }

    /// Whether a new category may go under `parent`.
    pub fn may_add_under(&self, parent: &str) -> bool {
        self.path(parent).len() < MAX_DEPTH
    }

    /// The whole tree as `GET /categories` shows it, with `counts` (products filed directly in
    /// each category, by id) and each subtree's total.
    pub fn view(&self, counts: &HashMap<String, u64>) -> Vec<api::CategoryNode> {
        self.nodes("", 0, counts)
    }

    fn nodes(
        &self,
        parent: &str,
        depth: usize,
        counts: &HashMap<String, u64>,
    ) -> Vec<api::CategoryNode> {
        if depth > MAX_DEPTH * 2 {
            return Vec::new();
        }
        self.children_of(parent)
            .iter()
            .filter_map(|id| self.by_id.get(id))
            .map(|c| {
                let children = self.nodes(&c.id, depth + 1, counts);
                let own = counts.get(&c.id).copied().unwrap_or(0);
                api::CategoryNode {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    slug: c.slug.clone(),
                    parent: c.parent.clone(),
                    product_count: own,
                    total_count: own + children.iter().map(|n| n.total_count).sum::<u64>(),
                    children,
                }
            })
            .collect()
    }

    /// How many categories there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every category by slug (for tests and the migration).
    pub fn slugs(&self) -> BTreeMap<&str, &Category> {
        self.by_id.values().map(|c| (c.slug.as_str(), c)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: &str, name: &str, parent: Option<&str>) -> Category {
        Category {
            id: id.to_owned(),
            name: name.to_owned(),
            slug: slugify(name),
            parent: parent.map(str::to_owned),
            created_at: 0,
            updated_at: 0,
        }
    }

    /// home ─ kitchen ─ knives; home ─ garden; books
    fn tree() -> Tree {
        Tree::new(vec![
            category("a", "Home", None),
            category("b", "Kitchen", Some("a")),
            category("c", "Knives", Some("b")),
            category("d", "Garden", Some("a")),
            category("e", "Books", None),
        ])
    }

    #[test]
    fn slugs_keep_letters_and_digits_and_join_the_rest_with_one_hyphen() {
        assert_eq!(slugify("Home & Kitchen"), "home-kitchen");
        assert_eq!(slugify("  Sports  &  Outdoors! "), "sports-outdoors");
        assert_eq!(slugify("Cafés 2"), "cafés-2");
        assert_eq!(slugify("!!!"), "");
        for name in ["Home & Kitchen", "A--B", "x y z"] {
            assert!(shared::api::categories::slug_rule(&slugify(name), &()).is_ok());
        }
    }

    #[test]
    fn a_category_takes_in_everything_under_it() {
        let t = tree();
        assert_eq!(t.with_descendants("a"), ["a", "b", "c", "d"]);
        assert_eq!(t.with_descendants("b"), ["b", "c"]);
        assert_eq!(t.with_descendants("e"), ["e"]);
    }

    #[test]
    fn categories_are_found_by_id_slug_or_name() {
        let t = tree();
        assert_eq!(t.find("b").unwrap().name, "Kitchen");
        assert_eq!(t.find("kitchen").unwrap().id, "b");
        assert_eq!(t.find("KITCHEN").unwrap().id, "b");
        assert!(t.find("kitch").is_none());
    }

    #[test]
    fn a_category_never_goes_under_itself_or_its_descendants() {
        let t = tree();
        assert_eq!(t.check_move("a", Some("a")), Err(MoveError::Cycle));
        assert_eq!(t.check_move("a", Some("c")), Err(MoveError::Cycle));
        assert_eq!(t.check_move("b", Some("c")), Err(MoveError::Cycle));
        assert_eq!(t.check_move("b", Some("e")), Ok(()));
        assert_eq!(t.check_move("c", None), Ok(()));
    }

    #[test]
    fn the_tree_may_not_grow_deeper_than_its_limit() {
        let mut chain: Vec<Category> = Vec::new();
        for i in 0..MAX_DEPTH {
            let parent = (i > 0).then(|| format!("n{}", i - 1));
            chain.push(category(
                &format!("n{i}"),
                &format!("N{i}"),
                parent.as_deref(),
            ));
        }
        chain.push(category("x", "X", None));
        chain.push(category("y", "Y", Some("x")));
        let t = Tree::new(chain);
        let deepest = format!("n{}", MAX_DEPTH - 1);
        assert!(!t.may_add_under(&deepest));
        assert!(t.may_add_under("n0"));
        assert_eq!(t.check_move("x", Some(&deepest)), Err(MoveError::TooDeep));
        assert_eq!(t.check_move("x", Some("n0")), Ok(()));
    }

    #[test]
    fn the_view_nests_children_by_name_and_shows_orphans_at_the_top() {
        let mut all = vec![category("z", "Lost", Some("gone"))];
        all.extend([category("a", "Home", None), category("e", "Books", None)]);
        let view = Tree::new(all).view(&HashMap::new());
        let names: Vec<&str> = view.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["Books", "Home", "Lost"]);
        let full = tree().view(&HashMap::new());
        assert_eq!(full[1].children[0].name, "Garden");
        assert_eq!(full[1].children[1].children[0].name, "Knives");
        assert_eq!(
            tree()
                .path("c")
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }

    #[test]
    fn each_node_counts_its_own_products_and_its_subtree_adds_up() {
        // home(a) 1 ─ kitchen(b) 2 ─ knives(c) 3; home ─ garden(d) 0; books(e) 4
        let counts: HashMap<String, u64> = [("a", 1), ("b", 2), ("c", 3), ("e", 4), ("gone", 9)]
            .into_iter()
            .map(|(id, n)| (id.to_owned(), n))
            .collect();
        let view = tree().view(&counts);
        let books = &view[0];
        let home = &view[1];
        let (garden, kitchen) = (&home.children[0], &home.children[1]);
        assert_eq!((books.product_count, books.total_count), (4, 4));
        assert_eq!((home.product_count, home.total_count), (1, 6));
        assert_eq!((kitchen.product_count, kitchen.total_count), (2, 5));
        assert_eq!((garden.product_count, garden.total_count), (0, 0));
        assert_eq!(kitchen.children[0].total_count, 3);
    }
}
