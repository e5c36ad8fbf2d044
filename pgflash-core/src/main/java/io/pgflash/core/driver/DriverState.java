package io.pgflash.core.driver;

/** Where a driver's stream is. */
public enum DriverState {
    STOPPED, STARTING, STREAMING, RECONNECTING
}
