package postgres

import "time"

// PublicListCached returns how many pages of the public list s holds in
// memory, and their estimated size.
func (s *AcknowledgementService) PublicListCached() (pages, bytes int) { return s.public.stats() }

// SetPublicListWake sets how often the idle listener checks its connection
// and the pool. Call it before the first ListAcknowledgements.
func (s *AcknowledgementService) SetPublicListWake(d time.Duration) { s.public.wake = d }

// PublicListener is the listener's application_name.
const PublicListener = listenerName
