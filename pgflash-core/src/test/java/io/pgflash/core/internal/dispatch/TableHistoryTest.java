package io.pgflash.core.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.TableName;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TableHistoryTest {

    private final TableHistory history = new TableHistory(3);

    @Test
    void resumesOnlyWhereEveryLaterEventIsKept() {
        assertThat(history.after(position(0))).as("nothing kept yet: what came before is unknown").isNull();
        for (int i = 1; i <= 5; i++) {
            history.record(event(i));
        }

        assertThat(history.after(position(2))).as("2 was evicted, so everything after it is kept")
                .extracting(ChangeEvent::position).containsExactly(position(3), position(4), position(5));
        assertThat(history.after(position(4))).extracting(ChangeEvent::position).containsExactly(position(5));
        assertThat(history.after(position(5))).isEmpty();
        assertThat(history.after(position(1))).as("2 was evicted: the client never saw it").isNull();
    }

    @Test
    void resumesFromAnEventOnlyWhileThatEventIsKept() {
        for (int i = 1; i <= 5; i++) {
            history.record(event(i));
        }

        assertThat(history.from(position(3))).extracting(ChangeEvent::position).containsExactly(position(3),
                position(4), position(5));
        assertThat(history.from(position(2))).as("2 was evicted").isNull();
    }

    @Test
    void aClientResumesOnlyFromTheFirstEventKeptAfterARestart() {
        history.record(event(1));
        history.restart();
        history.record(event(3));

        assertThat(history.after(position(1))).as("2 may have been missed while nothing was kept").isNull();
        assertThat(history.after(position(3))).isEmpty();
        assertThat(history.newest()).isEqualTo(position(3));
    }

    @Test
    void anEventHandedOverAgainIsKeptOnce() {
        for (int i = 1; i <= 3; i++) {
            history.record(event(i));
        }
        history.record(event(2)); // a WAL slot replaying after a reconnect
        history.record(event(3));

        assertThat(history.after(position(1))).extracting(ChangeEvent::position).containsExactly(position(2),
                position(3));
    }

    private static Position position(long major) {
        return new Position(major, 0);
    }

    private static ChangeEvent event(long major) {
        return new ChangeEvent(Operation.INSERT, Operation.INSERT, TableName.of("public", "t"), null, null, null,
                Set.of(), major, Instant.EPOCH, position(major));
    }
}
