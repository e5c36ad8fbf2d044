/**
 * pgflash's API: {@link io.pgflash.core.PgFlash}, subscriptions and the events they deliver. Everything here is
 * non-null unless marked {@code @Nullable}.
 */
@NullMarked
package io.pgflash.core;

import org.jspecify.annotations.NullMarked;
