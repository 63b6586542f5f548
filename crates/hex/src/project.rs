//! Projects and components, read from Hex's nested shape into a flat struct.

use crate::lenient;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// A Hex project or component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    /// The project id, as in its URL.
    pub id: String,
    /// The title; empty if Hex sent none.
    pub title: String,
    /// The description.
    pub description: Option<String>,
    /// A project or a component.
    pub kind: ProjectKind,
    /// Who created it (`creator.email`).
    pub creator_email: Option<String>,
    /// Who owns it (`owner.email`).
    pub owner_email: Option<String>,
    /// The workspace's status name (`status.name`), e.g. `Published`.
    pub status: Option<String>,
    /// The category names (`categories[].name`).
    pub categories: Vec<String>,
    /// How often its published app was viewed (`analytics.appViews`).
    pub app_views: AppViews,
    /// When someone last viewed it (`analytics.lastViewedAt`).
    pub last_viewed_at: Option<DateTime<Utc>>,
    /// When its published results were last refreshed (`analytics.publishedResultsUpdatedAt`).
    pub published_results_updated_at: Option<DateTime<Utc>>,
    /// When it was last edited.
    pub last_edited_at: Option<DateTime<Utc>>,
    /// When it was last published.
    pub last_published_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// When it was archived; `None` while it is not.
    pub archived_at: Option<DateTime<Utc>>,
    /// When it was moved to the trash; `None` while it is not.
    pub trashed_at: Option<DateTime<Utc>>,
}

/// What Hex's `type` says a project is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectKind {
    /// `PROJECT`; also what a project without a `type` counts as.
    Project,
    /// `COMPONENT`: a reusable piece other projects import.
    Component,
    /// A type this client does not know yet, as Hex spelled it.
    Other(String),
}

impl ProjectKind {
    fn from_api(kind: Option<String>) -> ProjectKind {
        match kind {
            None => ProjectKind::Project,
            Some(kind) if kind.eq_ignore_ascii_case("PROJECT") => ProjectKind::Project,
            Some(kind) if kind.eq_ignore_ascii_case("COMPONENT") => ProjectKind::Component,
            Some(kind) => ProjectKind::Other(kind),
        }
    }
}

/// Views of a project's published app over several periods; `None` where Hex sent no count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppViews {
    /// Since the project was created.
    pub all_time: Option<u64>,
    /// In the last 7 days.
    pub last_seven_days: Option<u64>,
    /// In the last 14 days.
    pub last_fourteen_days: Option<u64>,
    /// In the last 30 days.
    pub last_thirty_days: Option<u64>,
}

/// A project as Hex sends it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawProject {
    id: String,
    title: Option<String>,
    description: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    creator: Option<Person>,
    owner: Option<Person>,
    status: Option<Named>,
    categories: Option<Vec<Named>>,
    analytics: Option<Analytics>,
    #[serde(default, deserialize_with = "lenient::time")]
    last_edited_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    last_published_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    created_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    archived_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    trashed_at: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct Person {
    email: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Analytics {
    app_views: Option<AppViews>,
    #[serde(default, deserialize_with = "lenient::time")]
    last_viewed_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "lenient::time")]
    published_results_updated_at: Option<DateTime<Utc>>,
}

impl From<RawProject> for Project {
    fn from(raw: RawProject) -> Project {
        let analytics = raw.analytics.unwrap_or_default();
        Project {
            id: raw.id,
            title: raw.title.unwrap_or_default(),
            description: raw.description,
            kind: ProjectKind::from_api(raw.kind),
            creator_email: raw.creator.and_then(|p| p.email),
            owner_email: raw.owner.and_then(|p| p.email),
            status: raw.status.and_then(|s| s.name),
            categories: raw
                .categories
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| c.name)
                .collect(),
            app_views: analytics.app_views.unwrap_or_default(),
            last_viewed_at: analytics.last_viewed_at,
            published_results_updated_at: analytics.published_results_updated_at,
            last_edited_at: raw.last_edited_at,
            last_published_at: raw.last_published_at,
            created_at: raw.created_at,
            archived_at: raw.archived_at,
            trashed_at: raw.trashed_at,
        }
    }
}
