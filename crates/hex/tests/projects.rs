use crate::mock::{assert_bearer, client, hex_mock, page, project, uuid};
use chrono::{DateTime, TimeZone, Utc};
use hex::{AppViews, Project, ProjectKind};
use pretty_assertions::assert_eq;
use serde_json::json;

fn at(day: u32, hour: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(2024, 5, day, hour, 0, 0).single()
}

#[tokio::test]
async fn projects_follow_the_after_cursor_over_three_pages() {
    let ids: Vec<String> = (1..=4).map(uuid).collect();
    let of = |range: std::ops::Range<usize>| {
        let projects: Vec<_> = ids[range].iter().map(|id| project(id, "P")).collect();
        json!(projects)
    };
    let mock = hex_mock(vec![
        page(of(0..2), Some("cursor-1")),
        page(of(2..3), Some("cursor-2")),
        page(of(3..4), None),
    ])
    .await;
    let projects = client(&mock, 1).projects().await.expect("projects");
    let got: Vec<_> = projects.iter().map(|p| p.id.clone()).collect();
    assert_eq!(got, ids);

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
    let mut full = project("1b2c3d4e-0000-4000-8000-000000000001", "Revenue dashboard");
    let fields = json!({
        "description": "Weekly revenue by region",
        "creator": {"email": "ana@acme.com"},
        "owner": {"email": "bo@acme.com"},
        "categories": [
            {"name": "Finance", "description": "Money"},
            {"name": "Exec", "description": ""}
        ],
        "analytics": {
            "appViews": {"allTime": 420, "lastSevenDays": 12, "lastFourteenDays": 30, "lastThirtyDays": 61},
            "lastViewedAt": "2024-05-09T08:00:00Z",
            "publishedResultsUpdatedAt": "2024-05-08T06:00:00.000Z"
        },
        "lastEditedAt": "2024-05-07T10:00:00Z",
        "lastPublishedAt": "2024-05-06T11:00:00Z",
        "createdAt": "2024-05-01T09:00:00Z",
        "schedules": [{"cadence": "DAILY", "enabled": true, "hourly": null,
                       "daily": {"timezone": "+00:00", "minute": 0, "hour": 6},
                       "weekly": null, "monthly": null, "custom": null}],
    });
    for (key, value) in fields.as_object().unwrap() {
        full[key] = value.clone();
    }
    let mut component = project(&uuid(2), "Shared filters");
    component["type"] = json!("COMPONENT");
    component["archivedAt"] = json!("2024-05-02T12:00:00Z");
    component["creator"] = json!({"email": "ana@acme.com"});
    let mock = hex_mock(vec![page(json!([full, component]), None)]).await;
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
    let zero = Some(0);
    let expected_component = Project {
        id: uuid(2),
        title: "Shared filters".into(),
        description: None,
        kind: ProjectKind::Component,
        creator_email: Some("ana@acme.com".into()),
        owner_email: Some("ana@acme.com".into()),
        status: Some("Published".into()),
        categories: Vec::new(),
        app_views: AppViews {
            all_time: zero,
            last_seven_days: zero,
            last_fourteen_days: zero,
            last_thirty_days: zero,
        },
        last_viewed_at: None,
        published_results_updated_at: None,
        last_edited_at: at(1, 9),
        last_published_at: None,
        created_at: at(1, 9),
        archived_at: at(2, 12),
        trashed_at: None,
    };
    assert_eq!(projects, vec![expected_full, expected_component]);
}

/// Hex may add fields and enum values, or leave out what it calls required: one odd project
/// is read as far as it goes, never a failed listing. (Outside the document on purpose.)
#[tokio::test]
async fn odd_and_missing_fields_are_tolerated() {
    let trashed = json!({
        "id": "old-1", "title": "Old", "type": "PROJECT",
        "trashedAt": "2024-05-03T13:00:00Z",
        "createdAt": "last tuesday",
        "status": null, "categories": null, "analytics": null,
        "someFieldHexAddsLater": {"nested": [1, 2]}
    });
    let odd =
        json!({"id": "odd-1", "type": "NOTEBOOK_V2", "analytics": {"appViews": {"allTime": null}}});
    let mock = hex_mock(vec![page(json!([trashed, odd]), None).off_spec(
        "tolerance: fields missing, null or unknown, as a later Hex may send",
    )])
    .await;
    let projects = client(&mock, 1).projects().await.expect("projects");
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
        // A date that does not parse is unknown, not a failed listing.
        Project {
            trashed_at: at(3, 13),
            ..bare("old-1", "Old", ProjectKind::Project)
        },
        bare("odd-1", "", ProjectKind::Other("NOTEBOOK_V2".into())),
    ];
    assert_eq!(projects, expected);
}
