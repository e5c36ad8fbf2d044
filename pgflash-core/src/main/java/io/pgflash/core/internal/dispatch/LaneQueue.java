package io.pgflash.core.internal.dispatch;

import java.util.ArrayDeque;
import java.util.Collection;

/**
 * A lane's bounded queue: one monitor around a small array deque. With one subscription per connected client, the
 * reader hands each event to another lane, whose queue is cold in the cache; this touches fewer objects per event
 * than a {@code LinkedBlockingQueue} (two locks, their conditions, a node per event). Its monitor is also the lock
 * under which a lane drops its oldest events. Writers wait for room; takers wake them only when it was full.
 */
final class LaneQueue<E> {

    private final int capacity;
    /** Made with the first item: a lane that never gets one (one client of many) holds no buffer. */
    private ArrayDeque<E> items;

    LaneQueue(int capacity) {
        this.capacity = capacity;
    }

    synchronized int size() {
        return items == null ? 0 : items.size();
    }

    synchronized boolean isEmpty() {
        return size() == 0;
    }

    /** Adds unless full. */
    synchronized boolean offer(E item) {
        if (size() >= capacity) {
            return false;
        }
        add(item);
        return true;
    }

    /** Adds, waiting for room. */
    synchronized void put(E item) throws InterruptedException {
        while (size() >= capacity) {
            wait();
        }
        add(item);
    }

    /** Adds, waiting up to {@code nanos} for room; false if there was none. */
    synchronized boolean offer(E item, long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (size() >= capacity) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        add(item);
        return true;
    }

    private void add(E item) {
        if (items == null) {
            items = new ArrayDeque<>(4);
        }
        items.addLast(item);
    }

    synchronized E poll() {
        boolean wasFull = size() >= capacity;
        E item = items == null ? null : items.pollFirst();
        releaseIfEmpty();
        if (item != null && wasFull) {
            notifyAll();
        }
        return item;
    }

    /** An emptied queue gives its array back: after a burst, a lane of a hundred thousand keeps no buffer. */
    private void releaseIfEmpty() {
        if (items != null && items.isEmpty()) {
            items = null;
        }
    }

    /** Removes {@code item} (the first equal one); true if it was there. */
    synchronized boolean remove(E item) {
        boolean wasFull = size() >= capacity;
        boolean removed = items != null && items.removeFirstOccurrence(item);
        if (removed && wasFull) {
            notifyAll();
        }
        return removed;
    }

    /** Moves up to {@code max} items, oldest first, to {@code to}. */
    synchronized void drainTo(Collection<? super E> to, int max) {
        boolean wasFull = size() >= capacity;
        for (int i = 0; i < max && items != null && !items.isEmpty(); i++) {
            to.add(items.pollFirst());
        }
        releaseIfEmpty();
        if (wasFull) {
            notifyAll();
        }
    }

    synchronized void drainTo(Collection<? super E> to) {
        drainTo(to, Integer.MAX_VALUE);
    }
}
