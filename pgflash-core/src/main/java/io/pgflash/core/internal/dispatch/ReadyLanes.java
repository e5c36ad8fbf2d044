package io.pgflash.core.internal.dispatch;

import java.util.ArrayList;
import java.util.List;

/**
 * The lanes a batch of the reader's events made ready, handed to the delivery pool together when the batch is routed
 * (or before the reader waits for room in a queue): one hand-off per batch, where one per lane woke a pool thread for
 * every event when each event goes to another subscription (one per connected client).
 */
final class ReadyLanes {

    /** A lane claimed for running, to be run on the pool or given up when the pool takes nothing more. */
    interface Lane extends Runnable {
        void rejected();
    }

    private final DeliveryPool pool;
    private final List<Lane> ready = new ArrayList<>();

    ReadyLanes(DeliveryPool pool) {
        this.pool = pool;
    }

    void add(Lane lane) {
        ready.add(lane);
    }

    /** Hands what is ready to the pool. */
    void flush() {
        if (ready.isEmpty()) {
            return;
        }
        List<Lane> lanes = List.copyOf(ready);
        ready.clear();
        if (!pool.executeAll(lanes)) {
            lanes.forEach(Lane::rejected);
        }
    }
}
