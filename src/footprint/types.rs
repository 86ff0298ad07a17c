//! The costs of [`super`] checked against the types themselves, when the
//! crate is compiled.
//!
//! [`check::<T>`](check) hands `T`'s `Deserialize` a deserializer that is
//! never run: it only makes the compiler instantiate every path the decoder
//! could take through `T`, with the type each path fills. Where a path
//! allocates, an inline `const` asserts that the type fits what the byte
//! scan charges for it:
//!
//! - an array element ([`ELEMENT_BYTES`]), for every sequence any type in
//!   `T` reads;
//! - an element read from a string, number, `true`, `false` or `null`
//!   through a typed request ([`SCALAR_BYTES`]): an `Option` from `null`,
//!   an enum from a string;
//! - an object that does not fit the place it is read into, so that it is
//!   boxed ([`OBJECT_BYTES`]);
//! - a map entry ([`MEMBER_BYTES`]).
//!
//! A type added anywhere under a decoded type is checked the same way, so a
//! type larger than these costs fails the build (a post-monomorphization
//! error, which `cargo build` and `cargo test` report; `cargo check` does
//! not), rather than slip past the bound. What a reader that takes any
//! shape (`deserialize_any`) makes of a scalar it decides itself: the
//! crate's lenient readers drop such elements, and its open enums assert
//! their size where the macro defines them.

use std::marker::PhantomData;
use std::mem::size_of;

use serde::de::value::Error;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess,
    Visitor,
};

use super::{ELEMENT_BYTES, MEMBER_BYTES, OBJECT_BYTES, SCALAR_BYTES};

/// Makes the compiler check every type a `T` is decoded into against the
/// costs of the byte scan. It does nothing when run.
pub(crate) fn check<T: DeserializeOwned>() {
    // Never taken, but compiled: the compiler evaluates the assertions of
    // every function it mentions, reachable or not.
    if false {
        let _ = T::deserialize(Walk::<T>::new());
    }
}

/// A deserializer that offers a visitor every shape, for the types alone:
/// `Slot` is the type being filled, `ELEMENT` whether it is an array
/// element.
struct Walk<Slot, const ELEMENT: bool = false> {
    /// Which shape to offer; never looked at, as the walk never runs.
    shape: u8,
    slot: PhantomData<fn() -> Slot>,
}

impl<Slot, const ELEMENT: bool> Walk<Slot, ELEMENT> {
    fn new() -> Self {
        Walk {
            shape: 0,
            slot: PhantomData,
        }
    }

    /// A scalar is read into the slot through a typed request.
    fn scalar(&self) {
        const {
            assert!(
                !ELEMENT || size_of::<Slot>() as u64 <= SCALAR_BYTES,
                "a type that an array element read from a string, number or null becomes is larger than SCALAR_BYTES"
            );
        }
    }

    /// An object of type `Object` is read into the slot.
    fn object<Object>(&self) {
        const {
            assert!(
                size_of::<Object>() <= size_of::<Slot>()
                    || size_of::<Object>() as u64 <= OBJECT_BYTES,
                "a type read from an object and kept apart (boxed) is larger than OBJECT_BYTES"
            );
        }
    }
}

impl<'de, Slot, const ELEMENT: bool> de::Deserializer<'de> for Walk<Slot, ELEMENT> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.shape {
            0 => visitor.visit_map(Members),
            1 => visitor.visit_seq(Elements),
            2 => visitor.visit_str(""),
            3 => visitor.visit_borrowed_str(""),
            4 => visitor.visit_string(String::new()),
            5 => visitor.visit_i64(0),
            6 => visitor.visit_u64(0),
            7 => visitor.visit_i128(0),
            8 => visitor.visit_u128(0),
            9 => visitor.visit_f64(0.0),
            10 => visitor.visit_bool(false),
            11 => visitor.visit_bytes(&[]),
            12 => visitor.visit_unit(),
            13 => visitor.visit_none(),
            14 => visitor.visit_some(self),
            15 => visitor.visit_newtype_struct(self),
            _ => visitor.visit_enum(Variant),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        visitor.visit_bool(false)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        visitor.visit_i64(0)
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_i64(visitor)
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        visitor.visit_i128(0)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        visitor.visit_u64(0)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_u64(visitor)
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        visitor.visit_u128(0)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        visitor.visit_f64(0.0)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        match self.shape {
            0 => visitor.visit_borrowed_str(""),
            1 => visitor.visit_str(""),
            _ => visitor.visit_string(String::new()),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        match self.shape {
            0 => visitor.visit_borrowed_bytes(&[]),
            1 => visitor.visit_bytes(&[]),
            2 => visitor.visit_seq(Elements),
            _ => self.deserialize_str(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.shape == 0 {
            self.scalar();
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.scalar();
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.object::<V::Value>();
        visitor.visit_seq(Elements)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        // A tuple's fields are in place: no element is allocated.
        self.object::<V::Value>();
        visitor.visit_seq(Fields)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.object::<V::Value>();
        visitor.visit_map(Members)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.object::<V::Value>();
        // The decoder reads a struct from an object or, field by field,
        // from an array.
        if self.shape == 0 {
            visitor.visit_map(Members)
        } else {
            visitor.visit_seq(Fields)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // An enum comes from a string (a unit variant) or an object.
        self.scalar();
        visitor.visit_enum(Variant)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

/// An array's elements, each a slot of its own in the array's vector.
struct Elements;

impl<'de> SeqAccess<'de> for Elements {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        const {
            assert!(
                size_of::<S::Value>() as u64 <= ELEMENT_BYTES,
                "a type that an array element becomes is larger than ELEMENT_BYTES"
            );
        }
        seed.deserialize(Walk::<S::Value, true>::new()).map(Some)
    }
}

/// A struct's or tuple's fields read from an array: in place, no element.
struct Fields;

impl<'de> SeqAccess<'de> for Fields {
    type Error = Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        seed.deserialize(Walk::<S::Value>::new()).map(Some)
    }
}

/// An object's members: a struct's fields, in place, or a map's entries.
struct Members;

impl<'de> MapAccess<'de> for Members {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        seed.deserialize(Walk::<K::Value>::new()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Walk::<V::Value>::new())
    }

    /// Maps read their entries whole, as pairs.
    fn next_entry_seed<K: DeserializeSeed<'de>, V: DeserializeSeed<'de>>(
        &mut self,
        key: K,
        value: V,
    ) -> Result<Option<(K::Value, V::Value)>, Error> {
        const {
            assert!(
                2 * size_of::<(K::Value, V::Value)>() as u64 <= MEMBER_BYTES,
                "a map entry is larger than MEMBER_BYTES allows"
            );
        }
        let key = key.deserialize(Walk::<K::Value>::new())?;
        let value = value.deserialize(Walk::<V::Value>::new())?;
        Ok(Some((key, value)))
    }
}

/// An enum's variant, with whatever it holds.
struct Variant;

impl<'de> EnumAccess<'de> for Variant {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Error> {
        Ok((seed.deserialize(Walk::<S::Value>::new())?, self))
    }
}

impl<'de> VariantAccess<'de> for Variant {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(Walk::<S::Value>::new())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(Fields)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(Members)
    }
}
