package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Error policy and concurrency of delivery. */
class DispatchTest extends FlashTestBase {

    PgFlash flash;

    @BeforeEach
    void setUp() {
        db.execute("DROP TABLE IF EXISTS counters", "CREATE TABLE counters (id int PRIMARY KEY, n int)");
        flash = startFlash();
    }

    @Test
    void failingListenerIsRetriedWithBackOffUntilItSucceeds() {
        AtomicInteger attempts = new AtomicInteger();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("counters")
                .errorPolicy(ErrorPolicy.retry(3, BackOff.fixed(Duration.ofMillis(10)))).build(), event -> {
                    if (attempts.incrementAndGet() < 3) {
                        throw new IllegalStateException("not yet");
                    }
                    recorder.onChange(event);
                });

        db.execute("INSERT INTO counters VALUES (1, 0)");

        assertThat(recorder.awaitSingle().newRow().get("id")).isEqualTo(1);
        assertThat(attempts).hasValue(3);
    }

    /** A value the driver never received does not arrive on a retry: the recoverer gets the event at once. */
    @Test
    void anErrorThatARetryCannotCureGoesToTheRecovererAtTheFirstFailure() {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        Recorder delivered = new Recorder();
        flash.subscribe(SubscriptionSpec.table("counters")
                .errorPolicy(ErrorPolicy.retry(5, BackOff.fixed(Duration.ofMillis(1)))
                        .thenRecover((event, error) -> errors.add(error))).build(), event -> {
                    if (event.newRow().get("id").equals(1)) {
                        attempts.incrementAndGet();
                        throw new IllegalStateException("bound wrong",
                                new UnchangedValueException("Column 'body' is an unchanged TOASTed value"));
                    }
                    delivered.onChange(event);
                });

        db.execute("INSERT INTO counters VALUES (1, 0)", "INSERT INTO counters VALUES (2, 0)");

        assertThat(delivered.awaitSingle().newRow().get("id")).isEqualTo(2);
        assertThat(errors).singleElement().satisfies(e -> assertThat(e).hasMessage("bound wrong"));
        assertThat(attempts).hasValue(1);
    }

    @Test
    void eventThatKeepsFailingGoesToTheRecovererAndDeliveryGoesOn() {
        List<ChangeEvent> recovered = new CopyOnWriteArrayList<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Recorder delivered = new Recorder();
        AtomicInteger attempts = new AtomicInteger();
        flash.subscribe(SubscriptionSpec.table("counters")
                .errorPolicy(ErrorPolicy.retry(2, BackOff.fixed(Duration.ofMillis(1))).thenRecover((event, error) -> {
                    recovered.add(event);
                    errors.add(error);
                })).build(), event -> {
                    if (event.newRow().get("id").equals(1)) {
                        attempts.incrementAndGet();
                        throw new IllegalArgumentException("poison");
                    }
                    delivered.onChange(event);
                });

        db.execute("INSERT INTO counters VALUES (1, 0)", "INSERT INTO counters VALUES (2, 0)");

        assertThat(delivered.awaitSingle().newRow().get("id")).isEqualTo(2);
        assertThat(recovered).singleElement().satisfies(e -> assertThat(e.newRow().get("id")).isEqualTo(1));
        assertThat(errors).singleElement().satisfies(e -> assertThat(e).hasMessage("poison"));
        assertThat(attempts).hasValue(2);
    }

    @Test
    void withoutRecovererTheEventIsSkippedAndTheNextOneDelivered() {
        Recorder delivered = new Recorder();
        flash.subscribe(SubscriptionSpec.table("counters").errorPolicy(ErrorPolicy.skip()).build(), event -> {
            if (event.newRow().get("id").equals(1)) {
                throw new Error("not even an Exception")  {
                };
            }
            delivered.onChange(event);
        });

        db.execute("INSERT INTO counters VALUES (1, 0)", "INSERT INTO counters VALUES (2, 0)");

        assertThat(delivered.awaitSingle().newRow().get("id")).isEqualTo(2);
    }

    @Test
    void aFailingObserverDoesNotMakeTheListenerRunAgain() {
        PgFlash observed = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .observer(new PgFlashObserver() {
                    @Override
                    public void delivered(String id, List<ChangeEvent> events, Outcome outcome, Duration time) {
                        throw new IllegalStateException("broken metrics");
                    }
                }).build();
        closeAfterTest(observed);
        observed.start();
        AtomicInteger calls = new AtomicInteger();
        Recorder recorder = new Recorder();
        observed.subscribe(SubscriptionSpec.table("counters").build(), event -> {
            calls.incrementAndGet();
            recorder.onChange(event);
        });

        db.execute("INSERT INTO counters VALUES (1, 0)", "INSERT INTO counters VALUES (2, 0)");

        recorder.awaitEvents(2);
        assertThat(calls).hasValue(2);
    }

    @Test
    void concurrencyKeepsEachKeysEventsInOrder() {
        Map<Object, List<Integer>> byKey = new ConcurrentHashMap<>();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger total = new AtomicInteger();
        flash.subscribe(SubscriptionSpec.table("counters").operations(Operation.UPDATE).concurrency(4).build(),
                event -> {
                    threads.add(Thread.currentThread().getName());
                    byKey.computeIfAbsent(event.key().get("id"), k -> new CopyOnWriteArrayList<>())
                            .add((Integer) event.newRow().get("n"));
                    total.incrementAndGet();
                });
        db.execute("INSERT INTO counters SELECT g, 0 FROM generate_series(1, 20) g");

        for (int round = 1; round <= 50; round++) {
            db.execute("UPDATE counters SET n = " + round);
        }

        await().until(() -> total.get() == 20 * 50);
        assertThat(byKey).hasSize(20);
        byKey.values().forEach(values -> assertThat(values)
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(1, 50).boxed().toList()));
        assertThat(threads).hasSizeGreaterThan(1);
        assertThat(threads.stream().map(name -> name.replaceAll("-\\d+$", "")).collect(Collectors.toSet()))
                .hasSize(1);
    }

    @Test
    void filtersLookedUpByValueMatchAsTheyDidWhenTestedOneByOne() {
        db.execute("DROP TABLE IF EXISTS valued", "CREATE TABLE valued (id int PRIMARY KEY, amount numeric,"
                + " data bytea, tags int[], tag text)");
        Map<String, Recorder> filters = new java.util.LinkedHashMap<>();
        for (String filter : List.of("amount=eq.1.0", "amount=in.(2,3.50)", "data=eq.\\x0102", "tags=eq.{1,2}",
                "tag=in.(a,b)", "tag=eq.a", "tag=neq.a")) {
            Recorder recorder = new Recorder();
            filters.put(filter, recorder);
            flash.subscribe(SubscriptionSpec.table("valued").filter(filter).build(), recorder);
        }

        db.execute("INSERT INTO valued VALUES (1, 1.00, '\\x0102', '{1,2}', 'a')",
                "INSERT INTO valued VALUES (2, 3.5, '\\x01', '{2,1}', 'b')",
                "INSERT INTO valued VALUES (3, NULL, NULL, NULL, NULL)",
                "INSERT INTO valued VALUES (4, 2, '\\x0102', '{1,2}', 'c')");

        Map<String, List<Object>> expected = new java.util.LinkedHashMap<>();
        expected.put("amount=eq.1.0", List.of(1));
        expected.put("amount=in.(2,3.50)", List.of(2, 4));
        expected.put("data=eq.\\x0102", List.of(1, 4));
        expected.put("tags=eq.{1,2}", List.of(1, 4));
        expected.put("tag=in.(a,b)", List.of(1, 2));
        expected.put("tag=eq.a", List.of(1));
        expected.put("tag=neq.a", List.of(2, 4));
        expected.forEach((filter, ids) -> assertThat(filters.get(filter).awaitEvents(ids.size()))
                .extracting(e -> e.newRow().get("id")).as(filter).containsExactlyElementsOf(ids));
        db.execute("INSERT INTO valued VALUES (5, 0, NULL, NULL, 'z')"); // after it, nothing more came to anyone
        filters.get("tag=neq.a").awaitEvents(3);
        filters.forEach((filter, recorder) -> assertThat(recorder.count()).as(filter)
                .isEqualTo(expected.get(filter).size() + (filter.equals("tag=neq.a") ? 1 : 0)));
    }

    /** numeric NaN arrives as a Double; ordering filters still compare it as PostgreSQL does (above every number). */
    @Test
    void orderingFiltersPlaceNumericNaNAndInfinitiesAsPostgresDoes() {
        db.execute("DROP TABLE IF EXISTS measures", "CREATE TABLE measures (id int PRIMARY KEY, n numeric)");
        Recorder atLeast = new Recorder();
        Recorder below = new Recorder();
        flash.subscribe(SubscriptionSpec.table("measures").filter("n=gte.100").build(), atLeast);
        flash.subscribe(SubscriptionSpec.table("measures").filter("n=lt.100").build(), below);

        db.execute("INSERT INTO measures VALUES (1, 'NaN'), (2, 'Infinity'), (3, '-Infinity'), (4, 150), (5, 50)");

        assertThat(atLeast.awaitEvents(3)).extracting(event -> event.key().get("id")).containsExactly(1, 2, 4);
        assertThat(below.awaitEvents(2)).extracting(event -> event.key().get("id")).containsExactly(3, 5);
    }

    /** Times as Java and JSON print them, and the booleans PostgreSQL reads, are filter values too. */
    @Test
    void filterValuesMayBeWrittenAsIsoTimesAndPostgresBooleans() {
        db.execute("DROP TABLE IF EXISTS stamps", "CREATE TABLE stamps (id int PRIMARY KEY, flag boolean,"
                + " at timestamptz, local timestamp)");
        Recorder flagged = new Recorder();
        Recorder recent = new Recorder();
        Recorder early = new Recorder();
        flash.subscribe(SubscriptionSpec.table("stamps").filter("flag=eq.yes").build(), flagged);
        flash.subscribe(SubscriptionSpec.table("stamps").filter("at=gte.2026-01-01T00:00:00Z").build(), recent);
        flash.subscribe(SubscriptionSpec.table("stamps").filter("local=lt.2026-01-01T00:00:00").build(), early);
        assertThatThrownBy(() -> flash.subscribe(SubscriptionSpec.table("stamps").filter("at=gte.2026-01-01")
                .build(), new Recorder())).isInstanceOf(PgFlashException.class)
                .hasMessageContaining("at=gte.2026-01-01").hasMessageContaining("with its offset");

        db.execute("INSERT INTO stamps VALUES (1, true, '2025-12-31 23:00:00+00', '2025-06-01 00:00:00'),"
                + " (2, false, '2026-01-01 00:59:00+01', '2026-06-01 00:00:00'),"
                + " (3, true, '2026-01-01 00:30:00+00', '2026-06-01 00:00:00')");

        assertThat(flagged.awaitEvents(2)).extracting(event -> event.key().get("id")).containsExactly(1, 3);
        assertThat(recent.awaitEvents(1)).extracting(event -> event.key().get("id")).containsExactly(3);
        assertThat(early.awaitEvents(1)).extracting(event -> event.key().get("id")).containsExactly(1);
    }

    @Test
    void manySubscriptionsWatchingOneValueEachGetItsRowsAndCancelAlone() {
        List<Recorder> watchers = new java.util.ArrayList<>();
        List<Subscription> subscriptions = new java.util.ArrayList<>();
        for (int i = 0; i < 150; i++) { // past the number of routes a value keeps in a copied array
            Recorder recorder = new Recorder();
            watchers.add(recorder);
            subscriptions.add(flash.subscribe(SubscriptionSpec.table("counters").filter("n=eq.7").build(), recorder));
        }
        for (int i = 0; i < 150; i += 2) {
            subscriptions.get(i).cancel();
        }

        db.execute("INSERT INTO counters VALUES (1, 7)", "INSERT INTO counters VALUES (2, 8)",
                "INSERT INTO counters VALUES (3, 7)");

        for (int i = 1; i < 150; i += 2) {
            assertThat(watchers.get(i).awaitEvents(2)).extracting(e -> e.newRow().get("id")).containsExactly(1, 3);
        }
        assertThat(watchers).filteredOn(recorder -> recorder.count() > 0).hasSize(75);
    }

    @Test
    void aColumnAddedAfterAnEarlierSubscriptionToItsTableCanBeFilteredOnAtOnce() {
        flash.subscribe(SubscriptionSpec.table("counters").build(), new Recorder()); // the definition is kept now
        db.execute("ALTER TABLE counters ADD COLUMN owner text");
        Recorder owned = new Recorder();

        flash.subscribe(SubscriptionSpec.table("counters").filter("owner=eq.ann").build(), owned);
        db.execute("INSERT INTO counters VALUES (1, 0, 'bob')", "INSERT INTO counters VALUES (2, 0, 'ann')");

        assertThat(owned.awaitSingle().newRow().get("id")).isEqualTo(2);
    }

    @Test
    void subscriptionsSharingOneDeliveryThreadTakeTurnsAndEachKeepsItsOrder() {
        PgFlash shared = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).deliveryThreads(1).build();
        closeAfterTest(shared);
        shared.start();
        Map<Integer, List<Object>> received = new ConcurrentHashMap<>();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        for (int s = 0; s < 3; s++) {
            List<Object> ids = new CopyOnWriteArrayList<>();
            received.put(s, ids);
            shared.subscribeBatch(SubscriptionSpec.table("counters").build(), events -> events.forEach(event -> {
                threads.add(Thread.currentThread().getName());
                ids.add(event.newRow().get("id"));
            }));
        }

        db.execute("DO $$ BEGIN FOR i IN 1..300 LOOP INSERT INTO counters VALUES (i, 0); END LOOP; END $$");

        await().until(() -> received.values().stream().allMatch(ids -> ids.size() == 300));
        List<Object> inOrder = java.util.stream.IntStream.rangeClosed(1, 300).boxed().map(Object.class::cast).toList();
        received.values().forEach(ids -> assertThat(ids).containsExactlyElementsOf(inOrder));
        assertThat(threads).hasSize(1);
    }

    @Test
    void aStalledSubscriberThatDropsItsOldestEventsIsToldHowManyBeforeTheNewestArrive() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<Object> received = new CopyOnWriteArrayList<>();
        flash.subscribe(SubscriptionSpec.table("counters").overflow(OverflowPolicy.dropOldest(10)).build(),
                new ChangeListener() {
                    @Override
                    public void onChange(ChangeEvent event) throws Exception {
                        received.add(event.newRow().get("id"));
                        release.await();
                    }

                    @Override
                    public void onGap(StreamGap gap) {
                        received.add(gap.reason());
                    }
                });
        Recorder other = new Recorder();
        flash.subscribe(SubscriptionSpec.table("counters").build(), other);

        db.execute("INSERT INTO counters SELECT g, 0 FROM generate_series(1, 3000) g");
        other.awaitEvents(3000);
        release.countDown();

        await().until(() -> !received.isEmpty() && received.get(received.size() - 1).equals(3000));
        // in order, and every run of dropped events announced, with its count, just before the next one kept
        int next = 1;
        int announced = 0;
        for (Object item : received) {
            if (item instanceof String notice) {
                java.util.regex.Matcher count = java.util.regex.Pattern.compile("(\\d+) event\\(s\\) were dropped")
                        .matcher(notice);
                assertThat(count.find()).as(notice).isTrue();
                announced = Integer.parseInt(count.group(1));
                continue;
            }
            assertThat((Integer) item).as("the event after %d announced as dropped", announced)
                    .isEqualTo(next + announced);
            next = (Integer) item + 1;
            announced = 0;
        }
        assertThat(received).filteredOn(Integer.class::isInstance).hasSizeLessThan(20); // the buffer, not 3000
    }

    @Test
    void aClientResumingAfterItsTablesOnlySubscriptionWasCutOffIsToldOfTheGap() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<ChangeEvent> seen = new CopyOnWriteArrayList<>();
        flash.subscribe(SubscriptionSpec.table("counters").resumable().overflow(OverflowPolicy.cutOff(2)).build(),
                event -> {
                    seen.add(event);
                    release.await();
                });
        db.execute("INSERT INTO counters VALUES (1, 0)");
        await().until(() -> seen.size() == 1); // and its listener stalls on it
        db.execute("INSERT INTO counters SELECT g, 0 FROM generate_series(2, 10) g");
        await().until(() -> flash.subscriptions().isEmpty()); // cut off: the table is no longer captured
        String lastSeen = flash.eventId(seen.get(0));
        release.countDown();
        db.execute("INSERT INTO counters VALUES (11, 0)"); // nobody captures it

        Recorder back = new Recorder();
        flash.subscribe(SubscriptionSpec.table("counters").resumeAfter(lastSeen).build(), back);
        db.execute("INSERT INTO counters VALUES (12, 0)");

        assertThat(back.awaitSingle().newRow().get("id")).isEqualTo(12);
        assertThat(back.gaps).singleElement().satisfies(gap -> assertThat(gap.reason())
                .contains("the events after it are no longer kept"));
    }

    @Test
    void aResumeWithMoreEventsThanItsBufferIsToldOfTheGapAndStaysSubscribed() {
        Recorder keeper = new Recorder(); // keeps the table captured while the client is away
        flash.subscribe(SubscriptionSpec.table("counters").build(), keeper);
        Recorder before = new Recorder();
        Subscription page = flash.subscribe(SubscriptionSpec.table("counters").resumable().build(), before);
        db.execute("INSERT INTO counters VALUES (1, 0)");
        String lastSeen = flash.eventId(before.awaitSingle());
        page.cancel();
        db.execute("INSERT INTO counters SELECT g, 0 FROM generate_series(2, 21) g");
        keeper.awaitEvents(21);

        Recorder back = new Recorder();
        Subscription resumed = flash.subscribe(SubscriptionSpec.table("counters").resumeAfter(lastSeen)
                .overflow(OverflowPolicy.cutOff(5)).build(), back);
        db.execute("INSERT INTO counters VALUES (22, 0)");

        assertThat(back.awaitSingle().newRow().get("id")).isEqualTo(22);
        assertThat(back.gaps).singleElement().satisfies(gap -> assertThat(gap.reason())
                .contains("20 events after it are more than the subscription's buffer of 5"));
        assertThat(resumed.isActive()).isTrue();
    }

    @Test
    void aClientThatSawOnlyTheDeleteHalfOfASplitKeyChangeResumesWithItsInsertHalf() {
        Recorder keeper = new Recorder(); // keeps the table captured while the client is away
        flash.subscribe(SubscriptionSpec.table("counters").build(), keeper);
        Recorder before = new Recorder();
        Subscription page = flash.subscribe(SubscriptionSpec.table("counters").splitKeyChanges(true).resumable()
                .build(), before);
        db.execute("INSERT INTO counters VALUES (1, 0)", "UPDATE counters SET id = 2 WHERE id = 1");
        List<ChangeEvent> seen = before.awaitEvents(3);
        assertThat(seen).extracting(ChangeEvent::operation)
                .containsExactly(Operation.INSERT, Operation.DELETE, Operation.INSERT);
        String lastSeen = flash.eventId(seen.get(1)); // the connection dropped between the halves
        page.cancel();
        keeper.awaitEvents(2);

        Recorder back = new Recorder();
        flash.subscribe(SubscriptionSpec.table("counters").splitKeyChanges(true).resumeAfter(lastSeen).build(), back);

        db.execute("INSERT INTO counters VALUES (3, 0)");

        List<ChangeEvent> resumed = back.awaitEvents(2);
        assertThat(resumed).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT, Operation.INSERT);
        assertThat(resumed).extracting(event -> event.newRow().get("id")).containsExactly(2, 3);
        assertThat(back.gaps).isEmpty();
        assertThat(flash.eventId(resumed.get(0))).isNotEqualTo(lastSeen);
    }
}
