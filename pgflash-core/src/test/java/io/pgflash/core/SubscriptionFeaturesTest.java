package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Filters, enter/leave semantics, partial fields and keys, against real triggers. */
class SubscriptionFeaturesTest extends FlashTestBase {

    PgFlash flash;

    @BeforeEach
    void setUp() {
        db.execute("DROP TABLE IF EXISTS articles",
                "CREATE TABLE articles (id int PRIMARY KEY, status text, score int, rating numeric, title text,"
                        + " views int DEFAULT 0, deleted_at timestamptz)");
        flash = startFlash();
    }

    /** Events up to the TRUNCATE that every subscription gets as an end marker. */
    private static List<ChangeEvent> untilTruncate(Recorder recorder) {
        await().until(() -> recorder.events().stream().anyMatch(e -> e.operation() == Operation.TRUNCATE));
        List<ChangeEvent> events = recorder.events();
        return events.subList(0, events.indexOf(events.stream()
                .filter(e -> e.operation() == Operation.TRUNCATE).findFirst().orElseThrow()));
    }

    private static List<Object> ids(List<ChangeEvent> events) {
        return events.stream().map(e -> e.key().get("id")).toList();
    }

    @Test
    void eachFilterOperatorSelectsItsRows() {
        Map<String, Recorder> byFilter = new LinkedHashMap<>();
        for (String filter : List.of("status=eq.published", "status=neq.draft", "score=lt.10", "score=lte.10",
                "score=gt.10", "score=gte.10", "id=in.(1,3)", "deleted_at=is.null", "deleted_at=not.is.null",
                "rating=eq.1.50")) {
            Recorder recorder = new Recorder();
            flash.subscribe(SubscriptionSpec.table("articles").filter(filter).build(), recorder);
            byFilter.put(filter, recorder);
        }

        db.execute("INSERT INTO articles (id, status, score, rating) VALUES (1, 'published', 5, 1.5)",
                "INSERT INTO articles (id, status, score, rating) VALUES (2, 'draft', 10, 2)",
                "INSERT INTO articles (id, status, score, deleted_at) VALUES (3, NULL, 15, now())",
                "TRUNCATE articles");

        Map<String, List<Object>> expected = Map.of("status=eq.published", List.of(1), "status=neq.draft", List.of(1),
                "score=lt.10", List.of(1), "score=lte.10", List.of(1, 2), "score=gt.10", List.of(3),
                "score=gte.10", List.of(2, 3), "id=in.(1,3)", List.of(1, 3), "deleted_at=is.null", List.of(1, 2),
                "deleted_at=not.is.null", List.of(3), "rating=eq.1.50", List.of(1));
        byFilter.forEach((filter, recorder) ->
                assertThat(ids(untilTruncate(recorder))).as(filter).isEqualTo(expected.get(filter)));
    }

    @Test
    void updatesEnteringAndLeavingTheFilterArriveAsInsertAndDelete() {
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("articles").filter("status=eq.published").build(), recorder);

        db.execute("INSERT INTO articles (id, status, title) VALUES (1, 'draft', 'a')",
                "UPDATE articles SET status = 'published' WHERE id = 1",
                "UPDATE articles SET title = 'b' WHERE id = 1",
                "UPDATE articles SET status = 'draft' WHERE id = 1",
                "DELETE FROM articles WHERE id = 1",
                "TRUNCATE articles");

        List<ChangeEvent> events = untilTruncate(recorder);
        assertThat(events).extracting(ChangeEvent::operation)
                .containsExactly(Operation.INSERT, Operation.UPDATE, Operation.DELETE);
        assertThat(events).extracting(ChangeEvent::sourceOperation).containsOnly(Operation.UPDATE);
        assertThat(events.get(0).newRow().get("status")).isEqualTo("published");
        assertThat(events.get(2).key().get("id")).isEqualTo(1);
        // the row a listener of the leaving DELETE is given is the one that matched; the new row says why it left
        assertThat(events.get(2).row().get("status")).isEqualTo("published");
        assertThat(events.get(2).newRow().get("status")).isEqualTo("draft");
    }

    @Test
    void insertOnlySubscriptionSeesRowsEnteringItsFilter() {
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("articles").operations(Operation.INSERT, Operation.TRUNCATE)
                .filter("status=eq.published").build(), recorder);

        db.execute("INSERT INTO articles (id, status) VALUES (1, 'draft'), (2, 'published')",
                "UPDATE articles SET status = 'published' WHERE id = 1",
                "UPDATE articles SET views = 3",
                "TRUNCATE articles");

        List<ChangeEvent> events = untilTruncate(recorder);
        assertThat(ids(events)).containsExactly(2, 1);
        assertThat(events).extracting(ChangeEvent::sourceOperation).containsExactly(Operation.INSERT, Operation.UPDATE);
    }

    @Test
    void partialFieldsDeliverOnlyChangesOfThoseColumns() {
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("articles").columns("title").build(), recorder);

        db.execute("INSERT INTO articles (id, status, title) VALUES (1, 'draft', 'first')",
                "UPDATE articles SET views = 10, status = 'published' WHERE id = 1",
                "UPDATE articles SET title = 'second' WHERE id = 1",
                "TRUNCATE articles");

        List<ChangeEvent> events = untilTruncate(recorder);
        assertThat(events).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT, Operation.UPDATE);
        assertThat(events.get(0).newRow().asMap()).containsOnlyKeys("id", "title");
        ChangeEvent update = events.get(1);
        assertThat(update.newRow().asMap()).containsExactly(Map.entry("id", 1), Map.entry("title", "second"));
        assertThat(update.oldRow().get("title")).isEqualTo("first");
        assertThat(update.changedColumns()).containsExactly("title");
    }

    @Test
    void keyChangeIsDeleteThenInsertWhenAsked() {
        Recorder split = new Recorder();
        Recorder whole = new Recorder();
        flash.subscribe(SubscriptionSpec.table("articles").splitKeyChanges(true).build(), split);
        flash.subscribe(SubscriptionSpec.table("articles").build(), whole);

        db.execute("INSERT INTO articles (id, title) VALUES (1, 'x')", "UPDATE articles SET id = 2 WHERE id = 1",
                "TRUNCATE articles");

        List<ChangeEvent> events = untilTruncate(split);
        assertThat(events).extracting(ChangeEvent::operation)
                .containsExactly(Operation.INSERT, Operation.DELETE, Operation.INSERT);
        assertThat(ids(events)).containsExactly(1, 1, 2);
        assertThat(events.subList(1, 3)).extracting(ChangeEvent::sourceOperation).containsOnly(Operation.UPDATE);
        assertThat(events.get(1).position()).isEqualTo(events.get(2).position());

        List<ChangeEvent> unsplit = untilTruncate(whole);
        assertThat(unsplit).extracting(ChangeEvent::operation).containsExactly(Operation.INSERT, Operation.UPDATE);
        assertThat(unsplit.get(1).key().get("id")).isEqualTo(2);
        assertThat(unsplit.get(1).oldRow().get("id")).isEqualTo(1);
    }

    @Test
    void customKeyForTableWithoutPrimaryKey() {
        db.execute("DROP TABLE IF EXISTS events_log", "CREATE TABLE events_log (code text, body text)");
        Recorder recorder = new Recorder();
        Subscription subscription = flash.subscribe(SubscriptionSpec.table("events_log").key("code").build(), recorder);

        db.execute("INSERT INTO events_log VALUES ('A', 'hello')");

        assertThat(subscription.keyColumns()).containsExactly("code");
        assertThat(recorder.awaitSingle().key().asMap()).containsExactly(Map.entry("code", "A"));
    }

    @Test
    void aSnapshotNeedsAKeyThatIsUniqueAndNotNull() throws Exception {
        db.execute("DROP TABLE IF EXISTS events_log", "CREATE TABLE events_log (code text, body text)",
                "INSERT INTO events_log VALUES ('A', 'one'), ('A', 'two'), ('B', 'three')");
        Subscription byCode = flash.subscribe(SubscriptionSpec.table("events_log").key("code").build(),
                new Recorder());

        assertThatThrownBy(() -> flash.snapshot(byCode).get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(
                PgFlashException.class).hasMessageContaining("its key (\"code\") has no unique index")
                .hasMessageContaining("CREATE UNIQUE INDEX ON \"public\".\"events_log\" (\"code\")");

        db.execute("DELETE FROM events_log WHERE body = 'two'", "CREATE UNIQUE INDEX ON events_log (code)");
        assertThatThrownBy(() -> flash.snapshot(byCode).get(1, TimeUnit.MINUTES)).hasCauseInstanceOf(
                PgFlashException.class).hasMessageContaining("its key column(s) [code] may be NULL")
                .hasMessageContaining("ALTER TABLE \"public\".\"events_log\" ALTER COLUMN \"code\" SET NOT NULL");

        db.execute("ALTER TABLE events_log ALTER COLUMN code SET NOT NULL");
        Recorder recorder = new Recorder();
        Subscription unique = flash.subscribe(SubscriptionSpec.table("events_log").key("code").build(), recorder);
        assertThat(flash.snapshot(unique).get(1, TimeUnit.MINUTES)).isEqualTo(2);
        assertThat(recorder.awaitEvents(2)).extracting(event -> event.key().get("code")).containsExactly("A", "B");
    }
}
