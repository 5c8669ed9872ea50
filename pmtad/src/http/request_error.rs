//! Why a request got no answer, each with its HTTP status.

use hyper::StatusCode;
use proto::ControlError;

/// A refused or failed request; the message is shown to the client.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("no such page: {0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("access denied: {0}")]
    Forbidden(String),
    #[error("{0} is not allowed here")]
    MethodNotAllowed(String),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the request body did not arrive in time")]
    Timeout,
    #[error(transparent)]
    Backend(#[from] ControlError),
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            HttpError::NotFound(_) => StatusCode::NOT_FOUND,
            HttpError::BadRequest(_) => StatusCode::BAD_REQUEST,
            HttpError::Forbidden(_) => StatusCode::FORBIDDEN,
            HttpError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            HttpError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            HttpError::Timeout => StatusCode::REQUEST_TIMEOUT,
            HttpError::Backend(e) => backend_status(e),
        }
    }
}

fn backend_status(e: &ControlError) -> StatusCode {
    match e {
        ControlError::NoSuchQueue(_) | ControlError::NoSuchDomain(_) => StatusCode::NOT_FOUND,
        ControlError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
        ControlError::ConfigRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ControlError::PermissionDenied(_) => StatusCode::FORBIDDEN,
        ControlError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        ControlError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
