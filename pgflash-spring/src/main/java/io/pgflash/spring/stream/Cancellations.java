package io.pgflash.spring.stream;

import io.pgflash.core.Subscription;
import java.util.concurrent.CompletableFuture;

/**
 * Cancels a client's subscription off the calling thread: the caller may be the subscription's own listener while the
 * client stops (which waits for listeners under its lock), or a web server's event loop that must not wait.
 */
final class Cancellations {

    private Cancellations() {
    }

    static void later(Subscription subscription) {
        if (subscription != null && subscription.isActive()) {
            CompletableFuture.runAsync(subscription::cancel);
        }
    }
}
