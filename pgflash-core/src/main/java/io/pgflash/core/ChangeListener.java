package io.pgflash.core;

/** Receives a subscription's events, one at a time in commit order (or per key, with concurrency). */
@FunctionalInterface
public interface ChangeListener {

    void onChange(ChangeEvent event) throws Exception;

    /** Changes may have been missed before this point (notify mode after a reconnect); the default ignores it. */
    default void onGap(StreamGap gap) {
    }
}
