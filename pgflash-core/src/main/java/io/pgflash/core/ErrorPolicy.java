package io.pgflash.core;

import org.jspecify.annotations.Nullable;
import java.time.Duration;

/**
 * What happens when a listener throws: the event is tried up to {@code maxAttempts} times in all, waiting
 * {@code backOff} between tries, then handed to the {@code recoverer}, or logged and skipped when there is none.
 * The dispatching thread never dies of a listener's exception. An exception that is (or is caused by) a
 * {@link NonRetryable} one is not tried again: the event goes to the recoverer at once (a blocking policy still
 * blocks).
 */
public record ErrorPolicy(int maxAttempts, BackOff backOff, @Nullable Recoverer recoverer) {

    private static final BackOff DEFAULT_BACK_OFF = BackOff.exponential(Duration.ofMillis(100), Duration.ofSeconds(2));

    public ErrorPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        if (backOff == null) {
            backOff = DEFAULT_BACK_OFF;
        }
    }

    /** Three attempts, 100 ms then 200 ms apart, then log and skip. */
    public static ErrorPolicy defaults() {
        return new ErrorPolicy(3, DEFAULT_BACK_OFF, null);
    }

    /** One attempt, then log and skip. */
    public static ErrorPolicy skip() {
        return new ErrorPolicy(1, DEFAULT_BACK_OFF, null);
    }

    /**
     * Retries an event until it succeeds, waiting {@code backOff} between tries: the subscription delivers nothing
     * after it meanwhile, and (with the durable and WAL drivers) its position is not confirmed. For consumers that
     * must see every event in order. With a concurrency above 1 this holds per key: events of other keys go on until
     * the blocked key's queue is full, and then the whole stream waits.
     */
    public static ErrorPolicy block(BackOff backOff) {
        return new ErrorPolicy(Integer.MAX_VALUE, backOff, null);
    }

    /** Whether this policy retries without end. */
    public boolean blocks() {
        return maxAttempts == Integer.MAX_VALUE;
    }

    /** {@code attempts} tries in all with {@code backOff} between them, then log and skip. */
    public static ErrorPolicy retry(int attempts, BackOff backOff) {
        return new ErrorPolicy(attempts, backOff, null);
    }

    /** This policy, handing events that still fail to {@code recoverer} instead of skipping them. */
    public ErrorPolicy thenRecover(Recoverer recoverer) {
        return new ErrorPolicy(maxAttempts, backOff, recoverer);
    }
}
