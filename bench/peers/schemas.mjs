// The simulator's data set's five JSON Schemas (sim/dataset; `reask sim
// dataset` writes them to schemas/*.json) written as zod schemas, for
// instructor-js. They match the JSON Schemas field for field: the same
// required and nullable fields, enums, nested arrays and objects, numeric
// bounds and string formats, and no additional properties (.strict()), so
// that what instructor-js accepts is what the JSON Schema accepts — but for
// additional properties: instructor-js 1.7.0 adds its "_meta" member to the
// parsed answer before it validates it, so a .strict() object rejects every
// answer; the objects keep zod's default (unknown members are dropped, and
// the JSON Schema sent to the model still says additionalProperties: false).
// check-schemas.mjs compares them with the JSON Schemas.
import { z } from 'zod';

// Fresh instances for each field: zod-to-json-schema writes a reused
// instance as a $ref to its first use ("#/definitions/Invoice/properties/
// issue_date"), which instructor-js breaks when it unwraps the definition
// (the OpenAI API and the simulator answer 400: the reference does not
// resolve).
const email = () => z.string().email();
// JSON Schema's "date" format: a full-date of RFC 3339 (YYYY-MM-DD, a real day).
const date = () => z.string().date();

const Contact = z
  .object({
    name: z.string().describe("The person's full name."),
    age: z.number().int().min(0).max(130),
    email: email(),
    phone: z.string().nullable().describe('The phone number as written in the text, or null.'),
  })
  .strip();

const ProductReview = z
  .object({
    product_name: z.string().describe("The product's brand and model."),
    rating: z.number().min(1).max(5).describe('Stars out of 5.'),
    sentiment: z.enum(['positive', 'negative', 'neutral']),
    would_recommend: z.boolean(),
  })
  .strip();

const LineItem = z
  .object({
    name: z.string(),
    quantity: z.number().int().min(1),
    unit_price: z.number().min(0),
  })
  .strip();

const Address = z
  .object({
    street: z.string(),
    city: z.string(),
    state: z.string().describe('Two-letter state code.'),
    zip: z.string(),
  })
  .strip();

const Order = z
  .object({
    customer_name: z.string(),
    items: z.array(LineItem),
    total: z.number(),
    shipping_address: Address,
  })
  .strip();

const Invoice = z
  .object({
    invoice_number: z.string(),
    vendor: z.string().describe('The company that issued the invoice.'),
    issue_date: date(),
    due_date: date(),
    amount_due: z.number(),
    currency: z.enum(['USD', 'EUR', 'GBP']),
    paid: z.boolean(),
  })
  .strip();

const Event = z
  .object({
    title: z.string(),
    date: date(),
    city: z.string().nullable().describe('Where it takes place; null when it is online.'),
    virtual: z.boolean(),
    capacity: z.number().int().min(1).describe('How many people can attend.'),
    contact_email: email().nullable(),
  })
  .strip();

// schemas maps the data set's schema names to [zod schema, title].
export const schemas = {
  contact: [Contact, 'Contact'],
  review: [ProductReview, 'ProductReview'],
  order: [Order, 'Order'],
  invoice: [Invoice, 'Invoice'],
  event: [Event, 'Event'],
};
