use crate::mock::{assert_bearer, client, page, Mock};
use chrono::{DateTime, TimeZone, Utc};
use hex::{AppViews, Project, ProjectKind};
use pretty_assertions::assert_eq;
use serde_json::json;

fn at(day: u32, hour: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0).single()
}

fn minimal(id: &str) -> serde_json::Value {
    json!({"id": id, "title": id, "type": "PROJECT"})
}

#[tokio::test]
async fn projects_follow_the_after_cursor_over_three_pages() {
    let mock = Mock::start(vec![
        page(json!([minimal("p1"), minimal("p2")]), Some("cursor-1")),
        page(json!([minimal("p3")]), Some("cursor-2")),
        page(json!([minimal("p4")]), None),
    ])
    .await;
    let projects = client(&mock, 1).projects().await.expect("projects");
    let ids: Vec<_> = projects.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p1", "p2", "p3", "p4"]);

    let seen = mock.seen();
    assert_eq!(mock.calls(), ["GET /api/v1/projects"; 3]);
    assert_bearer(&seen);
    for request in &seen {
        assert_eq!(request.param("limit").as_deref(), Some("100"));
        assert_eq!(request.param("includeArchived").as_deref(), Some("true"));
        assert_eq!(request.param("includeComponents").as_deref(), Some("true"));
        assert_eq!(request.param("includeTrashed").as_deref(), Some("true"));
    }
    let cursors: Vec<_> = seen.iter().map(|s| s.param("after")).collect();
    assert_eq!(
        cursors,
        [None, Some("cursor-1".into()), Some("cursor-2".into())]
    );
}

#[tokio::test]
async fn every_project_field_is_parsed() {
    let full = json!({
        "id": "1b2c3d4e-0000-4000-8000-000000000001",
        "title": "Revenue dashboard",
        "description": "Weekly revenue by region",
        "type": "PROJECT",
        "creator": {"email": "ana@acme.com"},
        "owner": {"email": "bo@acme.com"},
        "status": {"name": "Published"},
        "categories": [
            {"name": "Finance", "description": "Money"},
            {"name": "Exec", "description": null}
        ],
        "analytics": {
            "appViews": {"allTime": 420, "lastSevenDays": 12, "lastFourteenDays": 30, "lastThirtyDays": 61},
            "lastViewedAt": "2024-05-09T08:00:00Z",
            "publishedResultsUpdatedAt": "2024-05-08T06:00:00.000Z"
        },
        "lastEditedAt": "2024-05-07T10:00:00Z",
        "lastPublishedAt": "2024-05-06T11:00:00Z",
        "createdAt": "2024-05-01T09:00:00Z",
        "archivedAt": null,
        "trashedAt": null,
        "schedules": [{"cadence": "DAILY", "enabled": true}],
        "someFieldHexAddsLater": {"nested": [1, 2]}
    });
    let component = json!({
        "id": "comp-1", "title": "Shared filters", "type": "COMPONENT",
        "archivedAt": "2024-05-02T12:00:00Z",
        "analytics": {"appViews": {"allTime": null}}
    });
    let trashed = json!({
        "id": "old-1", "title": "Old", "type": "PROJECT",
        "trashedAt": "2024-05-03T13:00:00Z",
        "createdAt": "last tuesday",
        "status": null, "categories": null, "analytics": null
    });
    let odd = json!({"id": "odd-1", "type": "NOTEBOOK_V2"});
    let mock = Mock::start(vec![page(json!([full, component, trashed, odd]), None)]).await;
    let projects = client(&mock, 1).projects().await.expect("projects");

    let expected_full = Project {
        id: "1b2c3d4e-0000-4000-8000-000000000001".into(),
        title: "Revenue dashboard".into(),
        description: Some("Weekly revenue by region".into()),
        kind: ProjectKind::Project,
        creator_email: Some("ana@acme.com".into()),
        owner_email: Some("bo@acme.com".into()),
        status: Some("Published".into()),
        categories: vec!["Finance".into(), "Exec".into()],
        app_views: AppViews {
            all_time: Some(420),
            last_seven_days: Some(12),
            last_fourteen_days: Some(30),
            last_thirty_days: Some(61),
        },
        last_viewed_at: at(9, 8),
        published_results_updated_at: at(8, 6),
        last_edited_at: at(7, 10),
        last_published_at: at(6, 11),
        created_at: at(1, 9),
        archived_at: None,
        trashed_at: None,
    };
    let bare = |id: &str, title: &str, kind| Project {
        id: id.into(),
        title: title.into(),
        description: None,
        kind,
        creator_email: None,
        owner_email: None,
        status: None,
        categories: Vec::new(),
        app_views: AppViews::default(),
        last_viewed_at: None,
        published_results_updated_at: None,
        last_edited_at: None,
        last_published_at: None,
        created_at: None,
        archived_at: None,
        trashed_at: None,
    };
    let expected = vec![
        expected_full,
        Project {
            archived_at: at(2, 12),
            ..bare("comp-1", "Shared filters", ProjectKind::Component)
        },
        // A date that does not parse is unknown, not a failed listing.
        Project {
            trashed_at: at(3, 13),
            ..bare("old-1", "Old", ProjectKind::Project)
        },
        bare("odd-1", "", ProjectKind::Other("NOTEBOOK_V2".into())),
    ];
    assert_eq!(projects, expected);
}
