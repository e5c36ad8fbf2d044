package io.pgflash.spring.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/** The observation of a {@code @PgChangeListener} call, and its tags. */
public enum PgChangeListenerObservation implements ObservationDocumentation {

    /** One call of a listener method: one event, or a batch listener's events. */
    LISTENER {
        @Override
        public Class<? extends ObservationConvention<? extends Observation.Context>> getDefaultConvention() {
            return DefaultPgChangeListenerObservationConvention.class;
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return LowCardinalityKeys.values();
        }

        @Override
        public KeyName[] getHighCardinalityKeyNames() {
            return HighCardinalityKeys.values();
        }
    };

    public enum LowCardinalityKeys implements KeyName {
        /** The listener's id in the registry. */
        LISTENER_ID {
            @Override
            public String asString() {
                return "pgflash.listener.id";
            }
        },
        /** The table of the events, or {@code mixed}. */
        TABLE {
            @Override
            public String asString() {
                return "pgflash.table";
            }
        },
        /** INSERT, UPDATE, DELETE, TRUNCATE or READ (a snapshot row), or {@code mixed} for a batch of several. */
        OPERATION {
            @Override
            public String asString() {
                return "pgflash.operation";
            }
        },
        /** {@code success}, or {@code error} when the call threw (the error policy then decides what follows). */
        OUTCOME {
            @Override
            public String asString() {
                return "pgflash.outcome";
            }
        }
    }

    public enum HighCardinalityKeys implements KeyName {
        /** The (last) event's position in the stream, as its event id shows it. */
        POSITION {
            @Override
            public String asString() {
                return "pgflash.position";
            }
        },
        /** The (last) event's transaction id (0 for snapshot rows). */
        TRANSACTION_ID {
            @Override
            public String asString() {
                return "pgflash.transaction.id";
            }
        },
        /** The events of the call: 1, or a batch's size. */
        EVENTS {
            @Override
            public String asString() {
                return "pgflash.events";
            }
        }
    }
}
