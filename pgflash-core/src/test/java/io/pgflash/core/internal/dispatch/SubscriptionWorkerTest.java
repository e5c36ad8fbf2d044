package io.pgflash.core.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.ErrorPolicy;
import io.pgflash.core.Operation;
import io.pgflash.core.OverflowPolicy;
import io.pgflash.core.PgFlashObserver;
import io.pgflash.core.Position;
import io.pgflash.core.TableName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class SubscriptionWorkerTest {

    private static ChangeEvent event() {
        return new ChangeEvent(Operation.TRUNCATE, Operation.TRUNCATE, TableName.of("s", "t"), null, null, null,
                Set.of(), 1, Instant.EPOCH, new Position(1, 0));
    }

    @Test
    void eventsOfferedAfterCancelStillCompleteTheirBatch() throws Exception {
        List<Position> confirmed = new CopyOnWriteArrayList<>();
        AckTracker tracker = new AckTracker(confirmed::add);
        SubscriptionWorker worker = new SubscriptionWorker("w", SubscriptionWorker.asBatch(event -> { }), 1,
                ErrorPolicy.skip(), 1, new PgFlashObserver() { }, (s, e, t) -> { }, new DeliveryPool(1),
                OverflowPolicy.block(), () -> { });
        worker.cancel(Duration.ofSeconds(1));

        // the dispatcher may still hold the route in its snapshot and offer to it
        AckTracker.Batch batch = tracker.open(new Position(7, 0));
        worker.offer(event(), batch);
        batch.seal();

        assertThat(confirmed).containsExactly(new Position(7, 0));
    }
}
