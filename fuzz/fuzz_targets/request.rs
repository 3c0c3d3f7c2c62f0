//! Request decoding: any bytes as the body of `POST /v1/pre-receive`, through
//! the same JSON decoding and validation the server uses, and as the hook's
//! authorization. Nothing may panic; whatever validates must name an
//! absolute repository and well-formed updates, and no authorization but a
//! real one may pass.

#![no_main]

use libfuzzer_sys::fuzz_target;
use signoff_gate::policy::refs::{is_object_id, is_valid_refname};
use signoff_gate::service::server::validate;
use signoff_gate::service::wire::{PreReceiveRequest, auth};

fuzz_target!(|data: &[u8]| {
    // No one without the secret makes an authorization that passes.
    let credentials = String::from_utf8_lossy(data);
    assert!(auth::check_request(b"the gate's secret", &credentials, 1_767_225_600).is_err());
    let Ok(request) = serde_json::from_slice::<PreReceiveRequest>(data) else {
        return;
    };
    if let Ok(push) = validate(&request, 10_000) {
        assert!(push.repository.is_absolute());
        assert!(!push.updates.is_empty() && push.updates.len() <= 10_000);
        for update in &push.updates {
            assert!(is_object_id(&update.old) && is_object_id(&update.new));
            assert!(is_valid_refname(&update.refname));
        }
    }
});
