/**
 * pgflash's internals (dispatch, value decoding, the pgoutput decoder): not API. Their types may change in any release;
 * use {@code io.pgflash.core} and the driver SPI in {@code io.pgflash.core.driver} instead.
 */
package io.pgflash.core.internal;
