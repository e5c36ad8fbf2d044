package io.pgflash.core.driver.trigger;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.Recorder;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.TableName;
import io.pgflash.test.TestDatabase;
import io.pgflash.test.TestPostgres;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TriggerDriverTest {

    static TestDatabase db;
    PgFlash flash;

    @BeforeAll
    static void database() {
        db = TestPostgres.shared().createDatabase();
    }

    @BeforeEach
    void start() {
        db.execute("DROP TABLE IF EXISTS posts", "CREATE TABLE posts (id int PRIMARY KEY, title text, views int)");
        flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password()).build();
        flash.start();
    }

    @AfterEach
    void stop() {
        flash.close();
    }

    @Test
    void deliversEveryOperationInCommitOrder() {
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);

        db.execute("INSERT INTO posts VALUES (1, 'hello', 0)",
                "UPDATE posts SET views = 5 WHERE id = 1",
                "DELETE FROM posts WHERE id = 1",
                "TRUNCATE posts");

        List<ChangeEvent> events = recorder.awaitEvents(4);
        assertThat(events).extracting(ChangeEvent::operation)
                .containsExactly(Operation.INSERT, Operation.UPDATE, Operation.DELETE, Operation.TRUNCATE);
        ChangeEvent insert = events.get(0);
        assertThat(insert.table()).isEqualTo(TableName.of("public", "posts"));
        assertThat(insert.newRow().asMap()).containsEntry("id", 1).containsEntry("title", "hello").containsEntry("views", 0);
        assertThat(insert.key().asMap()).containsOnlyKeys("id").containsEntry("id", 1);
        ChangeEvent update = events.get(1);
        assertThat(update.oldRow().get("views")).isEqualTo(0);
        assertThat(update.newRow().get("views")).isEqualTo(5);
        assertThat(update.changedColumns()).containsExactly("views");
        ChangeEvent delete = events.get(2);
        assertThat(delete.newRow()).isNull();
        assertThat(delete.oldRow().get("title")).isEqualTo("hello");
        assertThat(events.get(3).row()).isNull();
        assertThat(events).extracting(ChangeEvent::position).isSorted().doesNotHaveDuplicates();
        assertThat(insert.transactionId()).isNotEqualTo(update.transactionId());
    }

    @Test
    void multiRowStatementsArriveAsOneEventPerRow() {
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("posts").build(), recorder);

        db.execute("INSERT INTO posts SELECT g, 'row ' || g, g FROM generate_series(1, 500) g",
                "UPDATE posts SET views = views + 1",
                "DELETE FROM posts WHERE id <= 250");

        List<ChangeEvent> events = recorder.awaitEvents(1250);
        assertThat(events).hasSize(1250);
        assertThat(events.subList(0, 500)).extracting(e -> e.newRow().get("id")).containsExactlyElementsOf(
                java.util.stream.IntStream.rangeClosed(1, 500).boxed().toList());
        assertThat(events.subList(500, 1000)).allSatisfy(e -> {
            assertThat(e.operation()).isEqualTo(Operation.UPDATE);
            assertThat(e.newRow().get("id")).isEqualTo(e.oldRow().get("id"));
            assertThat((Integer) e.newRow().get("views")).isEqualTo((Integer) e.oldRow().get("views") + 1);
        });
        assertThat(events.subList(1000, 1250)).extracting(ChangeEvent::operation).containsOnly(Operation.DELETE);
    }
}
