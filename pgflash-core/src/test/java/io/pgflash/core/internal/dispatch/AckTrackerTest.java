package io.pgflash.core.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.Position;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class AckTrackerTest {

    @Test
    void confirmsOnlyWhenEveryEarlierBatchIsDone() {
        List<Position> confirmed = new CopyOnWriteArrayList<>();
        AckTracker tracker = new AckTracker(confirmed::add);
        AckTracker.Batch first = tracker.open(new Position(1, 0));
        first.add();
        first.seal();
        AckTracker.Batch second = tracker.open(new Position(2, 0));
        second.add();
        second.seal();
        AckTracker.Batch empty = tracker.open(new Position(3, 0));
        empty.seal();

        second.done();
        assertThat(confirmed).isEmpty();
        first.done();
        assertThat(confirmed).containsExactly(new Position(3, 0));
    }
}
