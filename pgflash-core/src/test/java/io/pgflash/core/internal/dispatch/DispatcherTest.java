package io.pgflash.core.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.Position;
import io.pgflash.core.TableName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class DispatcherTest {

    @Test
    void eventsHandedOverAfterItStoppedAreNotConfirmed() throws Exception {
        List<Position> confirmed = new CopyOnWriteArrayList<>();
        Dispatcher dispatcher = new Dispatcher(confirmed::add, new PgFlashObserver() { }, (id, events, error) -> { },
                new DeliveryPool(1), 0);
        dispatcher.drainAndStop(Duration.ofSeconds(1));

        // a driver's reader that outlived its stop (stuck in a statement) hands over what it read: nobody got it
        ChangeEvent event = new ChangeEvent(Operation.INSERT, Operation.INSERT, TableName.of("s", "t"), null, null,
                null, Set.of(), 1, Instant.EPOCH, new Position(9, 0));
        dispatcher.accept(List.of(event), new Position(9, 0));

        assertThat(confirmed).isEmpty();
        dispatcher.reset(); // a new run acknowledges again
        dispatcher.accept(List.of(event), new Position(9, 0));
        assertThat(confirmed).containsExactly(new Position(9, 0));
    }
}
