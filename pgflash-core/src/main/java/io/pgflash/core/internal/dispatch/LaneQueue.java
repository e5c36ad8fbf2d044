package io.pgflash.core.internal.dispatch;

import java.util.ArrayDeque;
import java.util.Collection;

/**
 * A lane's bounded queue: one monitor around a single slot and, past one item, a small array deque. With one subscription per connected client, the
 * reader hands each event to another lane, whose queue is cold in the cache; this touches fewer objects per event
 * than a {@code LinkedBlockingQueue} (two locks, their conditions, a node per event). Its monitor is also the lock
 * under which a lane drops its oldest events. Writers wait for room; takers wake them only when it was full.
 */
final class LaneQueue<E> {

    private final int capacity;
    /** The one item while there is only one: a lane of one client among many mostly holds one at a time. */
    private E only;
    /** Made when a second item comes: a lane that holds at most one (one client of many) makes no array. */
    private ArrayDeque<E> items;

    LaneQueue(int capacity) {
        this.capacity = capacity;
    }

    synchronized int size() {
        return items != null ? items.size() : only != null ? 1 : 0;
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
            if (only == null) {
                only = item;
                return;
            }
            items = new ArrayDeque<>(4);
            items.addLast(only);
            only = null;
        }
        items.addLast(item);
    }

    private E pollFirst() {
        if (items == null) {
            E item = only;
            only = null;
            return item;
        }
        E item = items.pollFirst();
        if (items.isEmpty()) {
            items = null; // after a burst, a lane of a hundred thousand keeps no buffer
        }
        return item;
    }

    synchronized E poll() {
        boolean wasFull = size() >= capacity;
        E item = pollFirst();
        if (item != null && wasFull) {
            notifyAll();
        }
        return item;
    }

    /** Removes {@code item} (the first equal one); true if it was there. */
    synchronized boolean remove(E item) {
        boolean wasFull = size() >= capacity;
        boolean removed;
        if (items == null) {
            removed = only != null && only.equals(item);
            if (removed) {
                only = null;
            }
        } else {
            removed = items.removeFirstOccurrence(item);
            if (items.isEmpty()) {
                items = null;
            }
        }
        if (removed && wasFull) {
            notifyAll();
        }
        return removed;
    }

    /** Moves up to {@code max} items, oldest first, to {@code to}. */
    synchronized void drainTo(Collection<? super E> to, int max) {
        boolean wasFull = size() >= capacity;
        for (int i = 0; i < max && size() > 0; i++) {
            to.add(pollFirst());
        }
        if (wasFull) {
            notifyAll();
        }
    }

    synchronized void drainTo(Collection<? super E> to) {
        drainTo(to, Integer.MAX_VALUE);
    }
}
