package io.pgflash.core;

/**
 * Marks an exception that trying the same event again cannot cure: a value the driver never received, a row that
 * cannot be bound to the listener's type. An {@link ErrorPolicy} with a bounded number of attempts hands such an event
 * to its recoverer (or logs and skips it) at the first failure; {@link ErrorPolicy#block(BackOff)} still blocks, since
 * it promises never to pass an event by.
 */
public interface NonRetryable {
}
