// Package storage holds the object stores of the canary analysis service:
// Kayenta's OBJECT_STORE / CONFIGURATION_STORE accounts, plus the live
// execution state and the leases that Kayenta keeps in Redis.
//
// # Layout
//
// Every object is a JSON document at
//
//	<rootFolder>/<group>/<id>/<filename>
//
// with "//" collapsed, exactly as Kayenta's S3StorageService writes it
// (rootFolder defaults to "kayenta"), so a bucket Kayenta wrote reads back
// and Kayenta reads what ctl writes. The local store uses the same layout
// under its directory instead of the root folder. Groups and default
// filenames are those of ObjectType; a canary config is stored as
// "<config name>.json" and an archive POSTed by pipeline id as
// "<pipelineId>.json".
//
//	s, err := storage.NewS3(ctx, storage.S3Options{Bucket: "kayenta-bucket", Region: "us-west-2"})
//	err = s.Put(ctx, storage.CanaryConfig, id, cfg.Name+".json", body)
//	body, err = s.Get(ctx, storage.CanaryConfig, id)   // errors.Is(err, storage.ErrNotFound)
//	infos, err := s.List(ctx, storage.CanaryConfig)    // the config index, without Redis
//
// Get is Kayenta's load: it lists the id's prefix and needs exactly one
// object. Unlike Kayenta, the prefix ends in '/', so id "a" is not confused
// with "ab". Put writes the new object first and then removes the id's
// other objects (the old key of a renamed config), for every type, so the
// one-object rule always holds after a Put. Delete removes every object of
// the id. Ids, filenames and lease names are single path components
// (ValidateID): never empty, ".", "..", and never containing '/', '\', NUL
// or control characters.
//
// Two writers that Put one id under different filenames at the same moment
// can remove each other's object (Kayenta shares this); work on one
// execution is serialised by its lease, and config edits are rare.
//
// # Leases
//
// AcquireLease gives "each execution is worked by exactly one replica". A
// lease is a small record {holder, token, write nonce, expiry} under
// leases/<name> (<rootFolder>/leases/<name> on S3, <dir>/leases/<name>
// locally). It is live until its expiry, which the holder extends with
// Renew; anyone may take over an expired lease.
//
//   - S3: compare-and-swap with conditional requests. A missing record is
//     created with If-None-Match: *, an expired one replaced with
//     If-Match: <ETag read>; Renew replaces and Release deletes with
//     If-Match: <the holder's last ETag>. The server applies each condition
//     atomically, so of racing writers exactly one wins and the others get
//     412 (or 409 on AWS) and read the winner's record. Each write carries a
//     fresh nonce, so an ETag names a single write (no ABA), and a writer
//     whose success answer was lost and whose retry got 412 recognises its
//     own record. versitygw v1.8.0 honours If-None-Match and If-Match on
//     PutObject and If-Match on DeleteObject (TestS3ConditionalWritesHonoured);
//     so does AWS S3. A server that ignores them is not safe for leases.
//   - Local: the same protocol under an exclusive flock(2) on <dir>/.lock,
//     which excludes other processes on the host and other goroutines. A new
//     record is hard-linked into place (fails if it exists, like O_EXCL, but
//     never leaves a partial file); a replaced one is renamed over.
//   - Memory: the same protocol under a mutex.
//
// Expiry compares the record's absolute expiry time with the reader's
// clock, so replicas need clocks synchronised (NTP) to well within the ttl.
// Lease.Expires is computed from before the write, so the holder's view
// ends no later than anyone else's. A holder must stop the leased work when
// Renew fails with ErrLeaseLost; after another error (a network failure) the
// lease is still its own until Expires and Renew may be retried.
//
// # S3
//
// NewS3 uses aws-sdk-go-v2: a custom endpoint (MinIO, versitygw, …) is
// addressed path-style; explicit static credentials, or the default chain
// with an optional profile. It HEADs the bucket and creates it on 404, as
// Kayenta does; wrong credentials fail there with an error naming the bucket
// and the cause. PUTs carry Content-MD5 (the SDK's extra CRC32 checksums are
// off, for S3-compatible servers that reject them); 5xx answers, throttling
// and network errors are retried (10 attempts, backoff up to 1s, by
// default), and every call is bounded by its ctx and S3Options.Timeout.
// List pages through ListObjectsV2.
package storage
