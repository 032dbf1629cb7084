//! Marker types for data classes and permitted purposes, and the sealed chart.
//!
//! ## Why
//! A store function that reads customer data takes `&impl Grant<CustomerData>`; the
//! only values of that kind are tokens for cells this file marks as allowed. There is
//! deliberately no marker for marketing, advertising, third-party transfer or voluntary
//! law-enforcement disclosure: code cannot even name them as a type.

use supportgate_types::{DataClass, PurposeCode};

pub(crate) mod sealed {
    pub trait Sealed {}
    pub trait PermitSeal<C> {}
}

/// A data class as a type.
pub trait Class: sealed::Sealed + Send + Sync + 'static {
    /// The runtime value of this class.
    const CLASS: DataClass;
}

/// A permitted purpose as a type.
pub trait Purpose: sealed::Sealed + Send + Sync + 'static {
    /// The runtime value of this purpose.
    const CODE: PurposeCode;
}

/// `P: Permits<C>` holds exactly when the chart allows purpose `P` for class `C`.
pub trait Permits<C: Class>: Purpose + sealed::PermitSeal<C> {}

/// Business contact details (DESIGN section 2).
#[derive(Debug)]
pub enum ContactData {}
/// Everything else the customer provides (DESIGN section 2).
#[derive(Debug)]
pub enum CustomerData {}

/// Purpose `provide_support`.
#[derive(Debug)]
pub enum ProvideSupport {}
/// Purpose `improve_support`.
#[derive(Debug)]
pub enum ImproveSupport {}
/// Purpose `communications`: contact data only.
#[derive(Debug)]
pub enum Communications {}
/// Purpose `legal_compelled`: disclosure a court order compels. Its tokens are minted
/// only by [`crate::Policy::authorize_compelled`], never by the chart's general path.
#[derive(Debug)]
pub enum LegalCompelled {}

macro_rules! class {
    ($t:ty, $v:expr) => {
        impl sealed::Sealed for $t {}
        impl Class for $t {
            const CLASS: DataClass = $v;
        }
    };
}
macro_rules! purpose {
    ($t:ty, $v:expr) => {
        impl sealed::Sealed for $t {}
        impl Purpose for $t {
            const CODE: PurposeCode = $v;
        }
    };
}
macro_rules! permit {
    ($p:ty => $c:ty) => {
        impl sealed::PermitSeal<$c> for $p {}
        impl Permits<$c> for $p {}
    };
}

class!(ContactData, DataClass::Contact);
class!(CustomerData, DataClass::Customer);
purpose!(ProvideSupport, PurposeCode::ProvideSupport);
purpose!(ImproveSupport, PurposeCode::ImproveSupport);
purpose!(Communications, PurposeCode::Communications);
purpose!(LegalCompelled, PurposeCode::LegalCompelled);

// The allowed cells of DESIGN section 3, and nothing else.
permit!(ProvideSupport => ContactData);
permit!(ProvideSupport => CustomerData);
permit!(ImproveSupport => ContactData);
permit!(ImproveSupport => CustomerData);
permit!(Communications => ContactData);
// Section 7: compelled disclosure reaches both classes, through its own door only.
permit!(LegalCompelled => ContactData);
permit!(LegalCompelled => CustomerData);
