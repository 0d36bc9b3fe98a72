//! The report as a whole: its sections in the note's order, complete items, consistent counts, text and JSON.

use super::report;
use verify::notes::Item;
use verify::verdict::Verdict;

#[test]
fn sections_follow_the_note_and_every_item_is_complete() {
    let r = report();
    let order = [
        "structure",
        "activation",
        "forward propagation",
        "loss",
        "chain rule",
        "back propagation",
        "update",
        "second forward pass",
        "closing sentence",
    ];
    let titles: Vec<String> = r.sections.iter().map(|s| s.title.to_lowercase()).collect();
    assert_eq!(titles.len(), order.len(), "{titles:?}");
    for (t, want) in titles.iter().zip(order) {
        assert!(
            t.contains(want),
            "{t:?} should be the section on {want}; sections: {titles:?}"
        );
    }
    for s in &r.sections {
        assert!(!s.items.is_empty(), "{} is empty", s.title);
        for i in &s.items {
            for (field, text) in [
                ("claim", &i.claim),
                ("note", &i.note),
                ("engine", &i.engine),
                ("detail", &i.detail),
            ] {
                assert!(
                    !text.trim().is_empty(),
                    "{}: an item with an empty {field}: {i:?}",
                    s.title
                );
            }
        }
    }
}

#[test]
fn summary_counts_add_up_and_match_the_json_and_the_text() {
    let r = report();
    let items: Vec<&Item> = r.sections.iter().flat_map(|s| &s.items).collect();
    let s = r.summary();
    assert_eq!(s.checked, items.len());
    assert_eq!(s.held + s.partly + s.not_held, s.checked);
    assert_eq!(s.held, items.iter().filter(|i| i.verdict.held()).count());
    assert_eq!(
        s.partly,
        items.iter().filter(|i| i.verdict == Verdict::HoldsPartly).count()
    );
    assert_eq!(
        s.not_held,
        items.iter().filter(|i| i.verdict == Verdict::DoesNotHold).count()
    );

    let json = r.to_json();
    let js = &json["summary"];
    assert_eq!(
        (
            js["checked"].as_u64(),
            js["held"].as_u64(),
            js["held_partly"].as_u64(),
            js["not_held"].as_u64()
        ),
        (
            Some(s.checked as u64),
            Some(s.held as u64),
            Some(s.partly as u64),
            Some(s.not_held as u64)
        )
    );
    let sections = json["sections"].as_array().unwrap();
    assert_eq!(sections.len(), r.sections.len());
    for (js, sec) in sections.iter().zip(&r.sections) {
        assert_eq!(js["title"], sec.title.as_str());
        let ji = js["items"].as_array().unwrap();
        assert_eq!(ji.len(), sec.items.len());
        for (j, i) in ji.iter().zip(&sec.items) {
            assert_eq!(j["claim"], i.claim.as_str());
            assert_eq!(j["note"], i.note.as_str());
            assert_eq!(j["engine"], i.engine.as_str());
            assert_eq!(j["detail"], i.detail.as_str());
            assert_eq!(j["verdict"], i.verdict.label());
        }
    }
    // JSON round-trips through text.
    let reparsed: serde_json::Value = serde_json::from_str(&json.to_string()).unwrap();
    assert_eq!(reparsed, json);

    let text = r.to_text();
    for (k, sec) in r.sections.iter().enumerate() {
        assert!(
            text.contains(&format!("== {}. {} ==", k + 1, sec.title)),
            "no title {:?}",
            sec.title
        );
        for i in &sec.items {
            assert!(
                text.contains(&format!("[{}] {}", i.verdict.label(), i.claim)),
                "no item {:?}",
                i.claim
            );
        }
    }
    let summary = format!(
        "Summary: {} claims checked: {} hold, {} hold partly, {} do not hold.",
        s.checked, s.held, s.partly, s.not_held
    );
    assert!(
        text.trim_end().ends_with(&summary),
        "{}",
        &text[text.len().saturating_sub(200)..]
    );
}

#[test]
fn the_report_is_the_same_every_run() {
    assert_eq!(report(), report());
}
