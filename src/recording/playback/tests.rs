//! Replay timing: speed, idle cap, and what is replayed.

use super::*;
use crate::recording::test_support::*;

fn session() -> Vec<RecordedFrame> {
    let mut rec = Recorder::default();
    rec.record(0, AGENT, resize(80, 24));
    rec.record(500_000, AGENT, output(b"$ "));
    rec.record(1_000_000, ENGINEER, input(b"ls\r"));
    rec.record(1_500_000, AGENT, output(b"ls\r\n"));
    rec.record(2_000_000, AGENT, output(b"a  b\r\n$ "));
    rec.record(12_000_000, AGENT, output(b"exit\r\n"));
    rec.frames()
}

fn delays(options: PlaybackOptions) -> Vec<Duration> {
    playback(session(), options).map(|s| s.delay).collect()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn only_agent_output_is_replayed_with_the_recorded_gaps() {
    let steps: Vec<_> = playback(session(), PlaybackOptions::default()).collect();
    let data: Vec<&[u8]> = steps.iter().map(|s| &s.data[..]).collect();
    assert_eq!(data, [&b"$ "[..], b"ls\r\n", b"a  b\r\n$ ", b"exit\r\n"]);
    assert_eq!(
        steps.iter().map(|s| s.delay).collect::<Vec<_>>(),
        [ms(500), ms(1000), ms(500), ms(10_000)]
    );
}

#[test]
fn speed_two_halves_every_delay() {
    let options = PlaybackOptions::new(2.0, None).unwrap();
    assert_eq!(delays(options), [ms(250), ms(500), ms(250), ms(5_000)]);
}

#[test]
fn idle_gaps_are_capped_before_the_speed_applies() {
    let capped = PlaybackOptions::new(1.0, Some(Duration::from_secs(2))).unwrap();
    assert_eq!(delays(capped), [ms(500), ms(1000), ms(500), ms(2_000)]);
    let capped_and_fast = PlaybackOptions::new(2.0, Some(Duration::from_secs(2))).unwrap();
    assert_eq!(
        delays(capped_and_fast),
        [ms(250), ms(500), ms(250), ms(1_000)]
    );
}

#[test]
fn time_going_back_gives_no_delay() {
    let mut rec = Recorder::default();
    rec.record(2_000_000, AGENT, output(b"a"));
    rec.record(1_000_000, AGENT, output(b"b"));
    rec.record(2_500_000, AGENT, output(b"c"));
    let delays: Vec<_> = playback(rec.frames(), PlaybackOptions::default())
        .map(|s| s.delay)
        .collect();
    assert_eq!(delays, [ms(2_000), ms(0), ms(500)]);
}

#[test]
fn a_speed_that_is_not_positive_and_finite_is_refused() {
    for speed in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(PlaybackOptions::new(speed, None).is_err(), "{speed}");
    }
    assert!(PlaybackOptions::new(1e-300, None).is_ok());
    let slow = PlaybackOptions::new(1e-300, None).unwrap();
    assert_eq!(delays(slow)[0], Duration::MAX, "overflow saturates");
}
