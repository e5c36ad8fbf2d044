package io.pgflash.core.driver;

/**
 * What an instance holds in its consumer group, apart from the state of its connection: one instance of a group
 * reads, the others stand by.
 */
public enum GroupRole {
    /** Holds the group's turn and reads. */
    ACTIVE,
    /** Another instance holds the turn; this one takes over when that one goes. */
    STANDBY,
    /** Cannot tell now: starting, stopped, or cut off from the database (it may hold the turn, or may have lost it). */
    UNKNOWN
}
