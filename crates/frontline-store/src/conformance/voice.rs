//! Conformance checks: voice-call turns.

use super::*;

/// A speech turn with nothing optional set.
pub fn voice_turn(conversation: ConversationId, call: &str, turn: i32) -> NewVoiceTurn {
    NewVoiceTurn {
        conversation_id: conversation,
        call_id: call.into(),
        turn,
        recognised: format!("turn {turn} of {call}"),
        answer: None,
        intent: None,
        speech_ms: 1_000 + i64::from(turn),
        end_of_speech_to_audio_ms: None,
        recognition_ms: 300,
        engine_ms: None,
        synthesis_ms: None,
        barge_in: false,
        dtmf: false,
    }
}

/// What the store must return for `new`: everything as given, plus the store's id and time.
fn assert_voice_turn(new: &NewVoiceTurn, got: &VoiceTurn) {
    let expected = VoiceTurn {
        id: got.id,
        conversation_id: new.conversation_id,
        call_id: new.call_id.clone(),
        turn: new.turn,
        recognised: new.recognised.clone(),
        answer: new.answer.clone(),
        intent: new.intent.clone(),
        speech_ms: new.speech_ms,
        end_of_speech_to_audio_ms: new.end_of_speech_to_audio_ms,
        recognition_ms: new.recognition_ms,
        engine_ms: new.engine_ms,
        synthesis_ms: new.synthesis_ms,
        barge_in: new.barge_in,
        dtmf: new.dtmf,
        created_at: got.created_at,
    };
    assert_eq!(got, &expected);
}

fn voice_keys(turns: &[VoiceTurn]) -> Vec<(&str, i32)> {
    turns.iter().map(|t| (t.call_id.as_str(), t.turn)).collect()
}

pub async fn voice_turns_round_trip_in_turn_order(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "phone", "m1", "звонок")
        .await
        .conversation
        .id;
    let seq = latest_seq(&*store).await;

    // Every field set, each to a distinct value (a swapped column would show), the durations beyond
    // 32 bits (a narrow column would show), text with quotes and Cyrillic.
    let full = NewVoiceTurn {
        conversation_id: conv,
        call_id: "1722945600.42".into(),
        turn: 2,
        recognised: "где мой заказ «12345»? it's late".into(),
        answer: Some("Заказ 12345 в пути, будет завтра.".into()),
        intent: Some("order_status".into()),
        speech_ms: 5_000_000_001,
        end_of_speech_to_audio_ms: Some(5_000_000_002),
        recognition_ms: 5_000_000_003,
        engine_ms: Some(5_000_000_004),
        synthesis_ms: Some(5_000_000_005),
        barge_in: true,
        dtmf: false,
    };
    let before = Timestamp::now();
    let second = store.record_voice_turn(full.clone()).await.unwrap();
    assert_voice_turn(&full, &second);
    assert!(second.created_at >= before && second.created_at <= Timestamp::now());

    // Recorded after turn 2, but read back before it: a call's turns come by turn number.
    let digits = NewVoiceTurn {
        recognised: "12345#".into(),
        dtmf: true,
        ..voice_turn(conv, "1722945600.42", 1)
    };
    let first = store.record_voice_turn(digits.clone()).await.unwrap();
    assert_voice_turn(&digits, &first);
    assert!(first.id > second.id, "ids increase with insertion");
    let third = store
        .record_voice_turn(voice_turn(conv, "1722945600.42", 10))
        .await
        .unwrap();
    // Another call of the same conversation stays out of this call's turns.
    store
        .record_voice_turn(voice_turn(conv, "other-call", 0))
        .await
        .unwrap();

    assert_eq!(
        store.voice_turns("1722945600.42").await.unwrap(),
        vec![first, second, third],
        "read back as recorded, by turn number (10 after 2: numeric, not text order)"
    );
    assert!(
        store.voice_turns("no-such-call").await.unwrap().is_empty(),
        "an unknown call has no turns"
    );
    assert!(
        store.voice_turns("1722945600").await.unwrap().is_empty(),
        "call ids match exactly, not by prefix"
    );
    assert_eq!(
        latest_seq(&*store).await,
        seq,
        "voice turns append no events"
    );
}

pub async fn voice_turn_recorded_twice_conflicts(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let one = ingest(&*store, acc.id, "one", "m1", "раз")
        .await
        .conversation
        .id;
    let two = ingest(&*store, acc.id, "two", "m2", "два")
        .await
        .conversation
        .id;
    let stored = store
        .record_voice_turn(voice_turn(one, "call", 1))
        .await
        .unwrap();

    let again = NewVoiceTurn {
        recognised: "something else".into(),
        ..voice_turn(one, "call", 1)
    };
    assert_conflict(
        "the same turn of a call again",
        store.record_voice_turn(again).await,
    );
    // The key is the call and the turn, whatever the conversation says.
    assert_conflict(
        "the same turn of a call from another conversation",
        store.record_voice_turn(voice_turn(two, "call", 1)).await,
    );
    assert_eq!(
        store.voice_turns("call").await.unwrap(),
        vec![stored.clone()],
        "a refused turn changes nothing"
    );

    // The same number in another call, and the next number in this one, are new turns.
    let other = store
        .record_voice_turn(voice_turn(one, "call-2", 1))
        .await
        .unwrap();
    let next = store
        .record_voice_turn(voice_turn(one, "call", 2))
        .await
        .unwrap();
    assert_eq!(store.voice_turns("call").await.unwrap(), vec![stored, next]);
    assert_eq!(store.voice_turns("call-2").await.unwrap(), vec![other]);
}

pub async fn conversation_voice_turns_group_calls(store: Arc<dyn Store>) {
    let acc = account(&*store, "a").await;
    let conv = ingest(&*store, acc.id, "phone", "m1", "алло")
        .await
        .conversation
        .id;
    let other = ingest(&*store, acc.id, "other", "m2", "алло")
        .await
        .conversation
        .id;
    assert!(
        store
            .conversation_voice_turns(conv)
            .await
            .unwrap()
            .is_empty(),
        "a conversation without calls has no turns"
    );

    // Interleaved writes of two calls, out of turn order; call "b" is named so that sorting by call
    // id would put it first, and its first turn is recorded before call "c"'s.
    for (call, turn) in [("c", 2), ("b", 5), ("c", 1), ("b", 3), ("c", 3)] {
        store
            .record_voice_turn(voice_turn(conv, call, turn))
            .await
            .unwrap();
    }
    store
        .record_voice_turn(voice_turn(other, "a", 1))
        .await
        .unwrap();

    let turns = store.conversation_voice_turns(conv).await.unwrap();
    assert_eq!(
        voice_keys(&turns),
        [("c", 1), ("c", 2), ("c", 3), ("b", 3), ("b", 5)],
        "calls in the order their first turn was recorded, each by turn number"
    );
    assert!(turns.iter().all(|t| t.conversation_id == conv));
    assert_eq!(
        store.voice_turns("c").await.unwrap(),
        turns[..3].to_vec(),
        "the same rows as the call's own list"
    );
    assert_eq!(
        voice_keys(&store.conversation_voice_turns(other).await.unwrap()),
        [("a", 1)]
    );

    let unknown = ConversationId(987_654);
    assert_not_found_named(
        "record into an unknown conversation",
        "conversation",
        store
            .record_voice_turn(voice_turn(unknown, "lost", 1))
            .await,
    );
    assert!(store.voice_turns("lost").await.unwrap().is_empty());
    assert_not_found_named(
        "list an unknown conversation",
        "conversation",
        store.conversation_voice_turns(unknown).await,
    );
}
