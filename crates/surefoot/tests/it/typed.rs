//! The typed clients end to end: Specala exports and keys.

use surefoot::specala::Format;

use crate::common::*;

#[tokio::test]
async fn single_and_bulk_exports_agree_and_keep_order() {
    let emu = specala().await;
    let client = specala_client(&emu, SPECALA_KEY);
    let listed: Vec<_> =
        futures::TryStreamExt::try_collect::<Vec<_>>(client.transcriptions().list().limit(100))
            .await
            .unwrap();
    let mut ids: Vec<String> = listed.iter().map(|t| t.id().to_string()).collect();
    ids.reverse();
    let before = requests_on(&emu, "POST /v1/transcriptions/export");
    let docs = client
        .transcriptions()
        .bulk_export(&ids, Format::Md)
        .await
        .unwrap();
    assert_eq!(docs.len(), 250);
    assert!(docs.iter().zip(&ids).all(|(d, id)| d.id() == id));
    assert_eq!(
        requests_on(&emu, "POST /v1/transcriptions/export") - before,
        3,
        "chunks of 100"
    );
    for (doc, format) in [(&docs[0], Format::Md), (&docs[7], Format::Md)] {
        let single = client
            .transcriptions()
            .export(doc.id(), format)
            .await
            .unwrap();
        assert_eq!(single, doc.content());
    }
    let txt = client
        .transcriptions()
        .export(&ids[3], Format::Txt)
        .await
        .unwrap();
    let t = client.transcriptions().get(&ids[3]).await.unwrap();
    assert!(txt.contains(t.text().unwrap()));
    assert!(client
        .transcriptions()
        .bulk_export::<&str>(&[], Format::Md)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn keys_can_be_created_listed_and_revoked() {
    let emu = specala().await;
    let client = specala_client(&emu, SPECALA_KEY);
    let created = client.keys().create("ci").await.unwrap();
    assert!(
        !format!("{created:?}").contains(created.key().unwrap()),
        "Debug masks the secret"
    );
    let listed = client.keys().list().await.unwrap();
    assert!(listed
        .iter()
        .any(|k| k.id() == created.id() && k.name() == Some("ci")));

    let fresh = specala_client(&emu, created.key().unwrap());
    fresh.transcriptions().get("tr_alpha_000001").await.unwrap();
    client.keys().revoke(created.id()).await.unwrap();
    let err = fresh
        .transcriptions()
        .get("tr_alpha_000001")
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(401), "unauthorized"));
}

#[tokio::test]
async fn bulk_export_is_read_only_and_retried_after_a_503() {
    let emu = specala().await;
    emu.inject(surefoot_emulator::Fault::status(
        "POST /v1/transcriptions/export",
        1,
        503,
        "",
    ));
    let client = specala_client(&emu, SPECALA_KEY);
    let docs = client
        .transcriptions()
        .bulk_export(&["tr_alpha_000001", "tr_alpha_000002"], Format::Txt)
        .await
        .unwrap();
    assert_eq!(docs.len(), 2);
    assert_eq!(
        requests_on(&emu, "POST /v1/transcriptions/export"),
        2,
        "the 503 was retried once"
    );
}
